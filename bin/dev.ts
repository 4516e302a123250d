/**
 * The local server: `npm run dev [-- --offline] [--user NAME] [--data DIR] [--port N]`. Runs the chat function's
 * own handler behind a function-URL stand-in; everything lives in bin/local/, this file only parses the command line,
 * prints what it connected to, and shuts down on Ctrl-C.
 */
import { parseArgs } from 'node:util';

// Node 20 is supported here; the SDK's notice about its future releases is noise for a local run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { startLocalServer } = await import('./local/server');

const USAGE = `Usage: npm run dev -- [options]

Runs the chat function locally (the same handler as in Lambda) with an embedded DynamoDB (dynalite).

Options:
  --offline        use local stand-ins for Bedrock, AgentCore Identity and GitHub (no AWS account needed);
                   chosen automatically when no AWS credentials are found
  --user <name>    the local IAM user requests are signed as (default: $USER or "developer")
  --data <dir>     keep the data in this folder between runs: DynamoDB and, offline, the stand-ins'
                   GitHub (issues, PRs, reviews) and consents (default: in memory)
  --port <n>       listen port (default: $PORT or 8787)
  --webhook-port <n>
                   the auto-review webhook's port, POST /webhook (default: $WEBHOOK_PORT or the port + 1)
  --host <addr>    listen address (default 127.0.0.1)
  -h, --help       show this help

Without --offline: the model is Amazon Bedrock (AWS credentials, AWS_REGION, MODEL_ID), and GitHub access is
GITHUB_TOKEN if set, else the GitHub device flow with GITHUB_OAUTH_CLIENT_ID, else AgentCore Identity.`;

const { values } = parseArgs({
  options: {
    offline: { type: 'boolean', default: false },
    user: { type: 'string' },
    data: { type: 'string' },
    port: { type: 'string' },
    'webhook-port': { type: 'string' },
    host: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = Number(values.port ?? process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number, got ${values.port ?? process.env.PORT}`);
  process.exit(2);
}

const webhookPort = Number(values['webhook-port'] ?? process.env.WEBHOOK_PORT ?? (port === 0 ? 0 : port + 1));
if (!Number.isInteger(webhookPort) || webhookPort < 0 || webhookPort > 65_535) {
  console.error(
    `--webhook-port must be a port number, got ${values['webhook-port'] ?? process.env.WEBHOOK_PORT}`,
  );
  process.exit(2);
}

let offline = values.offline;
if (!offline && !(await hasAwsCredentials())) {
  console.log(
    'No AWS credentials found: running offline with local stand-ins (pass --offline to skip this check).',
  );
  offline = true;
}

try {
  const server = await startLocalServer({
    offline,
    port,
    webhookPort,
    host: values.host,
    user: values.user ?? process.env.USER ?? 'developer',
    dataDir: values.data,
    env: process.env,
  });
  console.log(`Chat function listening on ${server.url}`);
  for (const line of server.connections) console.log(`  ${line}`);
  // The client's default is this server on 8787: any other port must be named in the hints.
  const target = new URL(server.url).port === '8787' ? '' : ` --url ${server.url}`;
  console.log(`\nTry: npm run chat --${target} "list my repos"`);
  if (offline) {
    console.log(
      `     npm run chat --${target} "review sample-dev/widgets#4"   then: npm run chat --${target} approve`,
    );
    console.log(`     npm run chat -- --help   lists what the demo model understands`);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);
  // `npm run dev` runs us under a shell that does not pass on a SIGTERM sent to npm: when that shell dies we are
  // re-parented, so stop too rather than keep the port (and the stand-ins) as an orphan.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 500).unref();
} catch (error) {
  console.error(`Could not start the local server: ${describeStartFailure(error, port, values.host)}`);
  process.exit(1);
}

/** The reason in a line; a busy port names the way out instead of a stack trace. */
function describeStartFailure(error: unknown, port: number, host: string | undefined): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `port ${port} on ${host ?? '127.0.0.1'} is already in use (another npm run dev?). Stop that process, or pick another port: npm run dev -- --port ${port + 1}`;
  }
  if (code === 'EACCES') return `no permission to listen on port ${port}; pick one above 1024 with --port`;
  return error instanceof Error ? error.message : String(error);
}

/** Whether the default AWS credential chain yields credentials within a couple of seconds. */
async function hasAwsCredentials(): Promise<boolean> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 2_000).unref());
  const found = defaultProvider()()
    .then((credentials) => Boolean(credentials.accessKeyId))
    .catch(() => false);
  return Promise.race([found, timeout]);
}
