/**
 * The benchmark's server, in its own process so the client's work never shares an event loop with the server's:
 * `node --import tsx bench/server-process.ts <instant|relay|history>`. Prints one JSON line with the URL and the
 * DynamoDB endpoint, then serves until stdin closes.
 */
export {};

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { startLocalServer } = await import('../bin/local/server');
type ScriptedTurn = import('../test/support/bedrock-standin').ScriptedTurn;

const turns: Record<string, ScriptedTurn> = {
  // A model that answers at once, in four deltas.
  instant: { kind: 'reply', text: ['Hello', ' from', ' the', ' bench'] },
  // 50 deltas 2 ms apart, each stamped with the time the stand-in writes it.
  relay: {
    kind: 'reply',
    text: Array.from({ length: 50 }, (_, index) => `d${index}`),
    delayMs: 2,
    stampDeltas: true,
  },
  history: { kind: 'reply', text: ['An answer.'] },
};

const mode = process.argv[2] ?? 'instant';
const turn = turns[mode];
if (!turn) throw new Error(`Unknown mode ${mode}; use one of ${Object.keys(turns).join(', ')}`);

const server = await startLocalServer({
  offline: true,
  user: 'bench',
  responder: () => turn,
  logLevel: 'ERROR',
});
process.stdout.write(
  `${JSON.stringify({ url: server.url, dynamo: server.dynamo.endpoint, sessionsTable: server.config.SESSIONS_TABLE })}\n`,
);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.close();
  process.exit(0);
});
