/**
 * One side of the per-turn CPU comparison (f), in its own process so its CPU time is its own:
 * `node --import tsx bench/cpu-process.ts <server|floor>`. Both relay the Bedrock stand-in the parent runs
 * (AWS_ENDPOINT_URL_BEDROCK_RUNTIME); the server also uses the parent's dynalite (AWS_ENDPOINT_URL_DYNAMODB), so
 * neither stand-in's work is counted here. Sends `{ url }` over IPC, answers each `cpu` message with
 * `process.cpuUsage()`, and exits when the parent disconnects.
 *
 * - `server`: the chat function's own handler behind the function-URL stand-in (bin/local/server.ts), configured as
 *   deployed (EMF metrics on) with a static GitHub token.
 * - `floor`: a bare relay: node:http, one ConverseStream through a default BedrockRuntimeClient, each text delta
 *   written as an SSE `token` frame, then `done`. Nothing else (no auth, history, save, tools or metrics).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const mode = process.argv[2];
const send = (message: unknown) => process.send?.(message);

let url: string;
if (mode === 'server') {
  const { startLocalServer } = await import('../bin/local/server');
  const server = await startLocalServer({
    user: 'bench',
    logLevel: 'ERROR',
    env: {
      ...process.env,
      IDENTITY_PROVIDER: 'static',
      GITHUB_TOKEN: 'ghp_bench_unused',
      METRICS: 'emf',
    },
  });
  url = server.url;
} else if (mode === 'floor') {
  url = await startFloor();
} else {
  throw new Error('Use `server` or `floor`');
}

process.on('message', (message) => {
  if (message === 'cpu') send({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
send({ url });

/** The bare relay: what any Bedrock-to-SSE server must do at least. */
async function startFloor(): Promise<string> {
  const { BedrockRuntimeClient, ConverseStreamCommand } = await import('@aws-sdk/client-bedrock-runtime');
  const client = new BedrockRuntimeClient({ region: process.env.AWS_REGION ?? 'ap-southeast-2' });
  const modelId = process.env.MODEL_ID ?? 'au.anthropic.claude-sonnet-4-6';

  const relay = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const { message } = JSON.parse(body) as { message: string };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const answer = await client.send(
      new ConverseStreamCommand({ modelId, messages: [{ role: 'user', content: [{ text: message }] }] }),
    );
    for await (const event of answer.stream ?? []) {
      const text = event.contentBlockDelta?.delta?.text;
      if (text !== undefined) res.write(`data: ${JSON.stringify({ type: 'token', content: text })}\n\n`);
    }
    res.end('data: {"type":"done"}\n\n');
  };

  const server = createServer((req, res) => {
    relay(req, res).catch((error: unknown) => {
      res.end(`data: ${JSON.stringify({ type: 'error', message: String(error) })}\n\n`);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
