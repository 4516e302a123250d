/**
 * One side of the per-turn CPU comparison (f), in its own process so its CPU time is its own:
 * `node --import tsx bench/cpu-process.ts <server|relay|relay-message>`. All relay the Bedrock stand-in the parent runs
 * (AWS_ENDPOINT_URL_BEDROCK_RUNTIME); the server also uses the parent's dynalite (AWS_ENDPOINT_URL_DYNAMODB), so
 * neither stand-in's work is counted here. Sends `{ url }` over IPC, answers each `cpu` message with
 * `process.cpuUsage()`, and exits when the parent disconnects.
 *
 * - `server`: the chat function's own handler behind the function-URL stand-in (bin/local/server.ts), configured as
 *   deployed (EMF metrics on) with a static GitHub token.
 * - `relay`: a bare relay of the same model call: node:http, one ConverseStream through a default BedrockRuntimeClient
 *   with the request the server sends (its system prompt, tool specs and cache points, built once at start-up, plus the
 *   user's message), each text delta written as an SSE `token` frame, then `done`. Nothing else: no auth, history,
 *   save, tool runs or metrics. The floor of the target.
 * - `relay-message`: the same relay sending only the user's message (no system prompt, no tools): the floor the first
 *   measurements used, kept for comparison.
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
} else if (mode === 'relay' || mode === 'relay-message') {
  url = await startRelay(mode === 'relay' ? await productRequest() : undefined);
} else {
  throw new Error('Use `server`, `relay` or `relay-message`');
}

process.on('message', (message) => {
  if (message === 'cpu') send({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
send({ url });

type ConverseStreamInput = import('@aws-sdk/client-bedrock-runtime').ConverseStreamCommandInput;

/** What the server sends Bedrock on a turn's first call, less the messages: built once, as the server builds it. */
async function productRequest(): Promise<Omit<ConverseStreamInput, 'messages'>> {
  const { loadConfig } = await import('../lambdas/config');
  const { createAppDeps } = await import('../lambdas/chat/wiring');
  const { promptCacheSupported, toConverseInput } = await import('../lambdas/agent/bedrock');
  const config = loadConfig({
    ...process.env,
    IDENTITY_PROVIDER: 'static',
    GITHUB_TOKEN: 'ghp_bench_unused',
  });
  const { turn } = createAppDeps(config);
  const cache =
    config.PROMPT_CACHE === 'on' || (config.PROMPT_CACHE === 'auto' && promptCacheSupported(config.MODEL_ID));
  const { messages: _none, ...request } = toConverseInput(
    config.MODEL_ID,
    { system: turn.systemPrompt, messages: [], tools: turn.tools.specs, maxTokens: config.MAX_OUTPUT_TOKENS },
    cache,
  );
  return request;
}

/** A bare relay: what any Bedrock-to-SSE server sending `request` (default: the message alone) must do at least. */
async function startRelay(request?: Omit<ConverseStreamInput, 'messages'>): Promise<string> {
  const { BedrockRuntimeClient, ConverseStreamCommand } = await import('@aws-sdk/client-bedrock-runtime');
  const client = new BedrockRuntimeClient({ region: process.env.AWS_REGION ?? 'ap-southeast-2' });
  const modelId = process.env.MODEL_ID ?? 'au.anthropic.claude-sonnet-4-6';
  const base = request ?? { modelId };

  const relay = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const { message } = JSON.parse(body) as { message: string };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const answer = await client.send(
      new ConverseStreamCommand({ ...base, messages: [{ role: 'user', content: [{ text: message }] }] }),
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
