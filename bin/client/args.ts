import { parseArgs } from 'node:util';
import { DEFAULT_CALLBACK_PORT } from './oauth-listener';

/** The terminal client's options, after parsing the command line. */
export interface CliOptions {
  /** The chat function URL (or the local server). */
  url: string;
  /** The signing region; otherwise the function URL's own, else AWS_REGION. */
  region?: string;
  /** Print raw events, one JSON object per line, for scripts. */
  json: boolean;
  /** Never try to open a browser. */
  browser: boolean;
  /** The loopback return URL's port; it must match a return URL registered in the workload identity. */
  callbackPort: number;
  /** Continue an existing chat session. */
  sessionId?: string;
  /** Sign even a loopback URL (e.g. a local proxy in front of the real function). */
  forceSign: boolean;
  /** One-shot mode when present; interactive otherwise. */
  message?: string;
}

export const DEFAULT_URL = 'http://localhost:8787';

export const USAGE = `Usage: npm run chat -- [options] [message]

Chat with the GitHub coding agent. With a message, sends it and exits (one-shot);
without one, starts an interactive prompt (type "exit" or press Ctrl-D to leave).

Options:
  --url <url>            chat endpoint (default ${DEFAULT_URL}); a Lambda function URL is signed with SigV4
  --region <region>      signing region (default: the one in the function URL, else AWS_REGION)
  --json                 print raw events, one JSON object per line
  --no-browser           print the GitHub authorization link without opening a browser
  --callback-port <n>    loopback port for the authorization redirect (default ${DEFAULT_CALLBACK_PORT})
  --session <id>         continue an existing session
  --sign                 sign requests even to a loopback URL
  -h, --help             show this help`;

/** The outcome of parsing: options, a request for help, or a usage error to print with {@link USAGE}. */
export type ParsedArgs =
  | { kind: 'run'; options: CliOptions }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

/** Parses `argv` (without the node and script paths). */
export function parseCliArgs(argv: string[]): ParsedArgs {
  let values: ReturnType<typeof parse>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };

  const url = values.url ?? DEFAULT_URL;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    return { kind: 'error', message: `--url must be an http(s) URL, got ${url}` };
  }
  const callbackPort =
    values['callback-port'] === undefined ? DEFAULT_CALLBACK_PORT : Number(values['callback-port']);
  if (!Number.isInteger(callbackPort) || callbackPort < 0 || callbackPort > 65_535) {
    return {
      kind: 'error',
      message: `--callback-port must be a port number, got ${values['callback-port']}`,
    };
  }
  const message = positionals.join(' ').trim();
  return {
    kind: 'run',
    options: {
      url,
      region: values.region,
      json: values.json ?? false,
      browser: !(values['no-browser'] ?? false),
      callbackPort,
      sessionId: values.session,
      forceSign: values.sign ?? false,
      message: message.length > 0 ? message : undefined,
    },
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      'callback-port': { type: 'string' },
      session: { type: 'string' },
      sign: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
