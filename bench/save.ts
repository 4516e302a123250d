/**
 * `npx tsx bench/save.ts [turns]`: what one turn's session save costs the chat function, in CPU and wall time. The
 * store runs with the chat function's own DynamoDB client (SDK serialisation, signing, HTTP) against a stub endpoint in
 * a child process that answers every request at once, so the figures are the function's work and one local round trip,
 * not DynamoDB's. Prints per-save CPU (µs) and wall time (ms) for a plain turn (2 messages) and a tool turn (4).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { createDynamoDbClient } = await import('../lambdas/aws-clients');
const { createSessionStore } = await import('../lambdas/sessions/messages');
const { percentile, table } = await import('./stats');
type ChatMessage = import('../lambdas/agent/model').ChatMessage;

/** Answers every DynamoDB call with an empty success (BatchWriteItem: nothing unprocessed). */
const STUB = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
`;

async function startStub(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', STUB], { stdio: ['pipe', 'pipe', 'inherit'] });
  if (!child.stdout) throw new Error('the stub has no stdout');
  const port = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  return { url: `http://127.0.0.1:${port}`, child };
}

const prose = (words: number) => Array.from({ length: words }, (_, i) => `word${i % 37}`).join(' ');
const TURNS: Record<string, ChatMessage[]> = {
  'plain (2 messages)': [
    { role: 'user', content: [{ text: prose(30) }] },
    { role: 'assistant', content: [{ text: prose(150) }] },
  ],
  'tool (4 messages)': [
    { role: 'user', content: [{ text: prose(30) }] },
    {
      role: 'assistant',
      content: [
        { text: 'Let me look.' },
        { toolUse: { toolUseId: 't1', name: 'list_github_repos', input: { limit: 10 } } },
      ],
    },
    {
      role: 'user',
      content: [
        {
          toolResult: {
            toolUseId: 't1',
            status: 'success',
            content: [{ json: { repos: prose(400).split(' ') } }],
          },
        },
      ],
    },
    { role: 'assistant', content: [{ text: prose(150) }] },
  ],
};

const turns = Number(process.argv[2] ?? 2_000);
const stub = await startStub();
const client = createDynamoDbClient({
  region: 'ap-southeast-2',
  endpoint: stub.url,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  timeouts: { connectMs: 2_000, requestMs: 5_000 },
});
const store = createSessionStore({ client, tableName: 'bench', ttlDays: 30 });
const previous = {
  sessionId: 's',
  title: 'a title',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  messageCount: 10,
};

// Warm up every path (JIT, connections) before any row is measured.
for (const messages of Object.values(TURNS)) {
  for (let i = 0; i < 500; i++) await store.append('bench', `s${i % 20}`, messages, previous);
}
const rows: Array<Array<string | number>> = [];
for (const [name, messages] of Object.entries(TURNS)) {
  const walls: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < turns; i++) {
    const started = performance.now();
    await store.append('bench', `s${i % 20}`, messages, previous);
    walls.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  rows.push([name, turns, (used.user + used.system) / turns, percentile(walls, 50), percentile(walls, 95)]);
}
console.log(`Session save, ${turns} saves per row, Node ${process.version}`);
console.log(table(['turn', 'saves', 'CPU µs/save', 'wall p50 ms', 'p95 ms'], rows));
client.destroy();
stub.child.stdin?.end();
