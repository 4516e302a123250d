import { createInterface, type Interface } from 'node:readline/promises';
import packageJson from '../../package.json' with { type: 'json' };
import { formatDemoPhrases } from '../local/demo-phrases';
import { type CliOptions, isFollowUp, parseCliArgs, USAGE } from './args';
import { openInBrowser } from './browser';
import { type ChatClient, ChatClientError, createChatClient } from './chat-client';
import {
  DEFAULT_CALLBACK_PORT,
  type LoopbackListener,
  type LoopbackListenerOptions,
  startLoopbackListener,
} from './oauth-listener';
import { createRenderer, type Renderer } from './render';
import { createSessionState, type SessionState, stateFilePath } from './session-state';
import {
  createSigV4Signer,
  isLoopbackUrl,
  type RequestSigner,
  resolveRegion,
  type SigningCredentials,
} from './sign';
import { resolveChatUrl, TargetError } from './target';
import { loadPageAssets, type PageAssets } from './web/assets';
import { runWebPage } from './web/run';
import type { WebServer } from './web/server';

/** Exit codes: 0 fine, 1 a turn failed, 2 bad usage, 130 interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** Without a terminal there is no Enter to wait for: pause this long before asking GitHub again. */
const DEVICE_PAUSE_MS = 15_000;

/** The process around the client; `bin/chat.ts` passes the real one, tests pass streams and fakes. */
export interface CliIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  /** Aborted on Ctrl-C / SIGTERM: ends the current request and the listener. */
  signal: AbortSignal;
  fetch?: typeof fetch;
  /** Credentials for signing; the default AWS chain when absent. */
  credentials?: SigningCredentials;
  /** Replaces the system browser (tests play the browser with it). */
  openBrowser?: (url: string) => void | Promise<void>;
  startListener?: (options: LoopbackListenerOptions) => Promise<LoopbackListener>;
  waitForDeviceConfirmation?: (signal: AbortSignal) => Promise<void>;
  /** Where the last session per URL is kept; a file under the config dir named by `env` when absent. */
  sessionState?: SessionState;
  /** Reads `--outputs-file` (tests). */
  readFile?: (path: string) => Promise<string>;
  /** `--web`: the page's files (built by esbuild when absent). */
  loadPageAssets?: () => Promise<PageAssets>;
  /** `--web`: told the running page server (tests). */
  onWebListening?: (server: WebServer) => void;
}

/** `--help`: the options, then what the offline demo understands. */
export const HELP = `${USAGE}

The offline demo (npm run dev without AWS credentials) understands:
${formatDemoPhrases()}`;

/**
 * Runs the terminal client: one-shot when a message is given, an interactive prompt otherwise.
 * @returns the process exit code
 */
export async function runCli(io: CliIo): Promise<number> {
  const args = parseCliArgs(io.argv);
  if (args.kind === 'help') {
    io.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (args.kind === 'version') {
    io.stdout.write(`${packageJson.name} ${packageJson.version}\n`);
    return EXIT.ok;
  }
  if (args.kind === 'error') {
    io.stderr.write(`${args.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { options } = args;
  let url: string;
  try {
    ({ url } = await resolveChatUrl(options, io.env, io.readFile));
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }

  let signer: RequestSigner | undefined;
  if (options.forceSign || !isLoopbackUrl(url)) {
    const region = resolveRegion(url, options.region, io.env);
    if (!region) {
      io.stderr.write('Cannot tell which AWS region to sign for: pass --region or set AWS_REGION.\n');
      return EXIT.usage;
    }
    signer = createSigV4Signer({
      region,
      credentials: io.credentials ?? (await defaultCredentials(options.profile)),
    });
  }

  if (options.web) {
    const renderer = createRenderer(io.stderr, { color: false });
    const sessionId =
      options.session.kind === 'id' || options.session.kind === 'continue'
        ? await chooseSession(
            options,
            url,
            io.sessionState ?? createSessionState(stateFilePath(io.env)),
            renderer,
          )
        : undefined;
    try {
      await runWebPage({
        chatUrl: url,
        port: options.webPort,
        callbackPort: options.callbackPort,
        defaultCallbackPort: DEFAULT_CALLBACK_PORT,
        sessionId,
        signal: io.signal,
        fetch: io.fetch ?? fetch,
        signer,
        startListener: io.startListener ?? startLoopbackListener,
        loadAssets: io.loadPageAssets ?? loadPageAssets,
        openBrowser: options.openPage
          ? (io.openBrowser ?? ((page: string) => openInBrowser(page)))
          : undefined,
        notice: (text) => io.stdout.write(`${text}\n`),
        onListening: io.onWebListening,
      });
    } catch (error) {
      io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  }

  const interactive = options.message === undefined;
  const color = Boolean(io.stdout.isTTY) && !options.json && io.env.NO_COLOR === undefined;
  // In --json mode stdout carries only events; everything meant for a person goes to stderr.
  const renderer = createRenderer(options.json ? io.stderr : io.stdout, { color });
  const openBrowser = !options.browser
    ? undefined
    : (io.openBrowser ?? (io.stdout.isTTY ? (url: string) => openInBrowser(url) : undefined));

  let rl: Interface | undefined;
  if (interactive) {
    rl = createInterface({
      input: io.stdin,
      // The prompt is for a person: keep it out of --json's event stream.
      output: options.json ? io.stderr : io.stdout,
      terminal: Boolean(io.stdin.isTTY && io.stdout.isTTY),
    });
  }
  const waitForDeviceConfirmation =
    io.waitForDeviceConfirmation ??
    ((signal: AbortSignal) =>
      waitForEnter(rl, io, signal, 'Press Enter once you have entered the code on GitHub… '));

  const state = io.sessionState ?? createSessionState(stateFilePath(io.env));
  const sessionId = await chooseSession(options, url, state, renderer);
  const client = createChatClient(
    { url, callbackPort: options.callbackPort, sessionId },
    {
      fetch: io.fetch ?? fetch,
      signer,
      renderer,
      json: options.json ? io.stdout : undefined,
      openBrowser,
      startListener: io.startListener ?? startLoopbackListener,
      waitForDeviceConfirmation,
    },
  );

  const remember = async () => {
    if (client.sessionId) await state.remember(url, client.sessionId);
  };
  if (!interactive) {
    const code = await runOnce(client, options.message ?? '', renderer, io.signal);
    await remember();
    renderer.finishLine();
    // Always on stderr: a script reading --json events from stdout still learns where to continue.
    if (client.sessionId) {
      io.stderr.write(
        `Session ${client.sessionId} (continue it with --continue, or --session ${client.sessionId})\n`,
      );
    }
    return code;
  }
  return runInteractive(client, rl as Interface, renderer, io, url, remember);
}

/**
 * The session to talk in: `--session`, the last one for `--continue` (and for a one-shot follow-up such as
 * "approve"), or none (the server starts one).
 */
async function chooseSession(
  options: CliOptions,
  url: string,
  state: SessionState,
  renderer: Renderer,
): Promise<string | undefined> {
  const { session } = options;
  if (session.kind === 'id') return session.id;
  if (session.kind === 'new') return undefined;
  const followUp = options.message !== undefined && isFollowUp(options.message);
  if (session.kind === 'default' && !followUp) return undefined;
  const last = await state.last(url);
  if (last === undefined) {
    renderer.notice(
      `No earlier session with ${url} to continue${state.path ? '' : ' (no config folder to keep it in)'}: starting a new one.`,
    );
  }
  return last;
}

async function runOnce(client: ChatClient, message: string, renderer: Renderer, signal: AbortSignal) {
  try {
    const result = await client.send(message, signal);
    return result.failed ? EXIT.failed : EXIT.ok;
  } catch (error) {
    return reportFailure(error, renderer, signal);
  }
}

async function runInteractive(
  client: ChatClient,
  rl: Interface,
  renderer: Renderer,
  io: CliIo,
  url: string,
  remember: () => Promise<void>,
): Promise<number> {
  let turn: AbortController | undefined;
  let interrupted = false;
  const stop = () => {
    interrupted = true;
    turn?.abort(io.signal.reason);
    rl.close();
  };
  io.signal.addEventListener('abort', stop, { once: true });
  // Ctrl-C at the prompt (a TTY delivers it to readline, not the process): stop the running reply, else leave.
  rl.on('SIGINT', () => {
    if (turn) {
      turn.abort(new Error('cancelled'));
      return;
    }
    stop();
  });

  renderer.notice(`Chatting with ${url}. Type a message; "exit" or Ctrl-D to leave.`);
  rl.setPrompt('› ');
  rl.prompt();
  try {
    for await (const line of rl) {
      const message = line.trim();
      if (message === 'exit' || message === 'quit') break;
      if (message.length > 0) {
        turn = new AbortController();
        const onAbort = () => turn?.abort(io.signal.reason);
        io.signal.addEventListener('abort', onAbort, { once: true });
        try {
          await client.send(message, turn.signal);
        } catch (error) {
          if (turn.signal.aborted && !io.signal.aborted) {
            renderer.finishLine();
            renderer.notice('(stopped)');
          } else {
            reportFailure(error, renderer, io.signal);
          }
        } finally {
          io.signal.removeEventListener('abort', onAbort);
          turn = undefined;
          await remember();
        }
      }
      if (interrupted) break;
      rl.prompt();
    }
  } finally {
    io.signal.removeEventListener('abort', stop);
    rl.close();
  }
  renderer.finishLine();
  if (client.sessionId)
    renderer.notice(
      `Session ${client.sessionId} (continue it with --continue, or --session ${client.sessionId})`,
    );
  return interrupted || io.signal.aborted ? EXIT.interrupted : EXIT.ok;
}

function reportFailure(error: unknown, renderer: Renderer, signal: AbortSignal): number {
  renderer.finishLine();
  if (signal.aborted) {
    renderer.notice('Interrupted.');
    return EXIT.interrupted;
  }
  if (error instanceof ChatClientError) {
    renderer.failure(error.message);
    return EXIT.failed;
  }
  renderer.failure(
    `Unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  return EXIT.failed;
}

/** Device flow: Enter on a terminal; without one, a fixed pause (scripts cannot press Enter). */
async function waitForEnter(rl: Interface | undefined, io: CliIo, signal: AbortSignal, prompt: string) {
  if (rl) {
    await rl.question(prompt, { signal });
    return;
  }
  if (io.stdin.isTTY) {
    const once = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
    // A raw-mode terminal hands Ctrl-C to readline, not the process: pass it on so the usual shutdown runs.
    once.on('SIGINT', () => process.emit('SIGINT', 'SIGINT'));
    try {
      await once.question(prompt, { signal });
    } finally {
      once.close();
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, DEVICE_PAUSE_MS);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** The default AWS credential chain (or one profile of it), loaded only when a request needs signing. */
async function defaultCredentials(profile: string | undefined): Promise<SigningCredentials> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider(profile === undefined ? {} : { profile });
}
