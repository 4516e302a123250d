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
  --data <dir>     keep DynamoDB data in this folder between runs (default: in memory)
  --port <n>       listen port (default: $PORT or 8787)
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
    host: values.host,
    user: values.user ?? process.env.USER ?? 'developer',
    dataDir: values.data,
    env: process.env,
  });
  console.log(`Chat function listening on ${server.url}`);
  for (const line of server.connections) console.log(`  ${line}`);
  console.log(`\nTry: npm run chat -- --url ${server.url} "list my repos"`);
  if (offline) console.log('     npm run chat -- "review sample-dev/widgets#4"');
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(
    `Could not start the local server: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
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
