import { parseArgs } from 'node:util';
import { DEFAULT_CALLBACK_PORT } from './oauth-listener';

/** Which session a run talks in. */
export type SessionChoice =
  /** `--session <id>`: this one (an id never used before starts a new session under it). */
  | { kind: 'id'; id: string }
  /** `--continue` / `-c`: the last session used with this URL. */
  | { kind: 'continue' }
  /** `--new`: a new session, even for a one-shot `approve`. */
  | { kind: 'new' }
  /** Nothing said: one-shot `approve`/`cancel`/`yes`/`no` continue the last session, anything else starts one. */
  | { kind: 'default' };

/** The terminal client's options, after parsing the command line. */
export interface CliOptions {
  /** `--url`; otherwise `--outputs-file`, then $CHAT_URL, then the local server (see target.ts). */
  url?: string;
  /** `--outputs-file`: a `cdk deploy --outputs-file` JSON to read the ChatUrl output from. */
  outputsFile?: string;
  /** The signing region; otherwise the function URL's own, else AWS_REGION. */
  region?: string;
  /** The AWS profile to sign with (otherwise the default credential chain). */
  profile?: string;
  /** Print raw events, one JSON object per line, for scripts. */
  json: boolean;
  /** Never try to open a browser. */
  browser: boolean;
  /** The loopback return URL's port; it must match a return URL registered in the workload identity. */
  callbackPort: number;
  session: SessionChoice;
  /** Sign even a loopback URL (e.g. a local proxy in front of the real function). */
  forceSign: boolean;
  /** One-shot mode when present; interactive otherwise. */
  message?: string;
  /** `--web`: serve the chat page on loopback instead of chatting in the terminal. */
  web: boolean;
  /** `--port`: the page's loopback port (0 picks a free one). */
  webPort: number;
  /** `--no-open`: print the page's address without opening a browser. */
  openPage: boolean;
}

export const DEFAULT_URL = 'http://localhost:8787';

/** The chat page's default loopback port (`--web`). */
export const DEFAULT_WEB_PORT = 8789;

/** The environment variable naming the chat URL. */
export const URL_ENV = 'CHAT_URL';

export const USAGE = `Usage: npm run -s chat -- [options] [message]
       coding-agent-chat [options] [message]          (after npm run build:client; see CONTRIBUTING.md)

Chat with the GitHub coding agent. With a message, sends it and exits (one-shot);
without one, starts an interactive prompt (type "exit" or press Ctrl-D to leave).

The client remembers the last session per URL: --continue (-c) continues it, and a
one-shot "approve", "cancel", "yes" or "no" continues it by default.

Options:
  --url <url>            chat endpoint: the stack's ChatUrl output (SigV4-signed) or a local server
                         (default: --outputs-file, else $${URL_ENV}, else ${DEFAULT_URL})
  --outputs-file <file>  read the ChatUrl output from \`cdk deploy --outputs-file <file>\`
  --region <region>      signing region (default: the one in the function URL, else AWS_REGION)
  --profile <name>       AWS profile to sign with (default: the standard credential chain)
  -c, --continue         continue the last session used with this URL
  --new                  start a new session (even for a one-shot approve/cancel)
  --session <id>         talk in this session (a new id starts a session under that id)
  --json                 print raw events on stdout, one JSON object per line (use npm run -s)
  --no-browser           print the GitHub authorization link without opening a browser
  --callback-port <n>    loopback port for the authorization redirect (default ${DEFAULT_CALLBACK_PORT})
  --sign                 sign requests even to a loopback URL
  --web                  serve a chat page on http://127.0.0.1 that signs and forwards its requests
  --port <n>             the page's port with --web (default ${DEFAULT_WEB_PORT}; 0 picks a free one)
  --no-open              with --web, print the page's address instead of opening a browser
  -v, --version          print the version
  -h, --help             show this help

Exit status: 0 done, 1 the turn failed (an error event, or a tool failure the answer ends on),
2 bad usage, 130 interrupted.`;

/** The outcome of parsing: options, a request for help or the version, or a usage error to print with {@link USAGE}. */
export type ParsedArgs =
  | { kind: 'run'; options: CliOptions }
  | { kind: 'help' }
  | { kind: 'version' }
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
  if (values.version) return { kind: 'version' };

  if (values.url !== undefined && !isHttpUrl(values.url)) {
    return { kind: 'error', message: `--url must be an http(s) URL, got ${values.url}` };
  }
  const callbackPort =
    values['callback-port'] === undefined ? DEFAULT_CALLBACK_PORT : Number(values['callback-port']);
  if (!Number.isInteger(callbackPort) || callbackPort < 0 || callbackPort > 65_535) {
    return {
      kind: 'error',
      message: `--callback-port must be a port number, got ${values['callback-port']}`,
    };
  }
  const webPort = values.port === undefined ? DEFAULT_WEB_PORT : Number(values.port);
  if (!Number.isInteger(webPort) || webPort < 0 || webPort > 65_535) {
    return { kind: 'error', message: `--port must be a port number, got ${values.port}` };
  }
  const web = values.web ?? false;
  if (!web && (values.port !== undefined || values['no-open'])) {
    return { kind: 'error', message: '--port and --no-open go with --web' };
  }
  if (web && (positionals.length > 0 || values.json)) {
    return { kind: 'error', message: '--web serves a page: give no message and no --json' };
  }
  const chosen = [values.session !== undefined, values.continue === true, values.new === true];
  if (chosen.filter(Boolean).length > 1) {
    return { kind: 'error', message: '--session, --continue and --new exclude each other' };
  }
  if (values.session !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(values.session)) {
    return { kind: 'error', message: '--session must be 1 to 128 letters, digits, "_" or "-"' };
  }
  const session: SessionChoice =
    values.session !== undefined
      ? { kind: 'id', id: values.session }
      : values.continue
        ? { kind: 'continue' }
        : values.new
          ? { kind: 'new' }
          : { kind: 'default' };
  const message = positionals.join(' ').trim();
  // `npm run chat -- ""` (an empty variable, say) must not silently turn into an interactive session.
  if (positionals.length > 0 && message.length === 0) {
    return {
      kind: 'error',
      message: 'The message is empty: give some text, or no message for interactive mode.',
    };
  }
  return {
    kind: 'run',
    options: {
      url: values.url,
      outputsFile: values['outputs-file'],
      region: values.region,
      profile: values.profile,
      json: values.json ?? false,
      browser: !(values['no-browser'] ?? false),
      callbackPort,
      session,
      forceSign: values.sign ?? false,
      message: message.length > 0 ? message : undefined,
      web,
      webPort,
      openPage: !(values['no-open'] ?? false),
    },
  };
}

/** Whether a one-shot message is an answer to something pending, which belongs in the last session. */
export function isFollowUp(message: string): boolean {
  return /^(?:approve|cancel|yes|no)\b/i.test(message.trim());
}

export function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      'outputs-file': { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      json: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      'callback-port': { type: 'string' },
      session: { type: 'string' },
      continue: { type: 'boolean', short: 'c' },
      new: { type: 'boolean' },
      sign: { type: 'boolean' },
      web: { type: 'boolean' },
      port: { type: 'string' },
      'no-open': { type: 'boolean' },
      version: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
