import type { ChatEvent } from '../../lambdas/chat/protocol';
import { trimTrailing } from '../../lambdas/text';
import { parseChatEvent } from './events';
import {
  CALLBACK_PATH,
  DEFAULT_CALLBACK_PORT,
  type LoopbackListener,
  type LoopbackListenerOptions,
  RedirectWithoutStateError,
} from './oauth-listener';
import type { Renderer, TextSink } from './render';
import { isLoopbackUrl, type RequestSigner } from './sign';
import { readSse } from './sse';

type ConsentEvent = Extract<ChatEvent, { type: 'oauth_url' }>;

/** Everything the chat client does to the outside world, injected so tests can drive it in-process. */
export interface ChatClientDeps {
  fetch: typeof fetch;
  /** Signs each request; absent for a local (loopback) server. */
  signer?: RequestSigner;
  /** Human output: rendered events in normal mode, client notices in both modes. */
  renderer: Renderer;
  /** In --json mode, where the raw events go, one JSON object per line; the renderer then only gets notices. */
  json?: TextSink;
  /** Opens a URL in the user's browser; absent with --no-browser or without a terminal. */
  openBrowser?: (url: string) => void | Promise<void>;
  /** Starts the loopback listener for AgentCore's redirect. */
  startListener: (options: LoopbackListenerOptions) => Promise<LoopbackListener>;
  /** Device flow: resolves when the user says they entered the code (Enter), or after a pause without a terminal. */
  waitForDeviceConfirmation: (signal: AbortSignal) => Promise<void>;
}

/** Per-client settings. */
export interface ChatClientOptions {
  /** The chat endpoint's base URL; `/chat/stream` and `/oauth/complete` are resolved against it. */
  url: string;
  /** The loopback return URL's port (0 picks a free one, for tests). */
  callbackPort: number;
  /** Continue this session instead of starting one. */
  sessionId?: string;
  /** How long to wait for the browser to come back (default 10 minutes). */
  consentTimeoutMs?: number;
  /** Browser consents per message before giving up (default 3). */
  maxBrowserConsents?: number;
  /** Device-flow confirmations per message before giving up (default 40). */
  maxDeviceRounds?: number;
}

/** How a turn went: the stream finished with `done`; `errors` counts the `error` events in it. */
export interface TurnResult {
  errors: number;
  /**
   * The turn failed: an `error` event, or the answer ended on a failed tool call with no successful one after it
   * (the model could not recover). A write withheld for confirmation is not a failure.
   */
  failed: boolean;
}

/** The chat client: sends messages, renders the stream, and handles GitHub consent in between. */
export interface ChatClient {
  /**
   * Sends `message` and streams the reply. On `oauth_url` it runs the consent (browser redirect to the loopback
   * listener, then `POST /oauth/complete`; or the device code) and re-sends the same message.
   * @throws ChatClientError on transport failures, a stream without `done`, or a refused consent
   * @throws the signal's reason when aborted (Ctrl-C)
   */
  send(message: string, signal: AbortSignal): Promise<TurnResult>;
  /** The session the server assigned (or the one given), sent with every later message. */
  readonly sessionId: string | undefined;
}

/** A failure the user should read; the CLI prints the message and exits non-zero. */
export class ChatClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChatClientError';
  }
}

interface StreamOutcome {
  done: boolean;
  errors: number;
  /** The last tool call failed and nothing succeeded after it. */
  toolFailed: boolean;
  consent?: ConsentEvent;
  listener?: LoopbackListener;
}

/** Creates a {@link ChatClient}. */
export function createChatClient(options: ChatClientOptions, deps: ChatClientDeps): ChatClient {
  let sessionId = options.sessionId;
  const consentTimeoutMs = options.consentTimeoutMs ?? 10 * 60_000;
  const maxBrowserConsents = options.maxBrowserConsents ?? 3;
  const maxDeviceRounds = options.maxDeviceRounds ?? 40;
  const { renderer } = deps;
  // The server sends the browser back to its default return URL unless told otherwise: a chosen port must be named.
  const returnUrl =
    options.callbackPort !== DEFAULT_CALLBACK_PORT && options.callbackPort !== 0
      ? `http://localhost:${options.callbackPort}${CALLBACK_PATH}`
      : undefined;

  const post = async (
    path: string,
    payload: unknown,
    accept: string,
    signal: AbortSignal,
  ): Promise<Response> => {
    const url = endpoint(options.url, path);
    const body = JSON.stringify(payload);
    let headers: Record<string, string> = { 'content-type': 'application/json', accept };
    if (deps.signer) {
      try {
        headers = await deps.signer({ method: 'POST', url, headers, body });
      } catch (error) {
        throw new ChatClientError(
          `Could not sign the request with AWS credentials: ${messageOf(error)}. Configure credentials (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or use a local server URL.`,
          { cause: error },
        );
      }
    }
    try {
      return await deps.fetch(url, { method: 'POST', headers, body, signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new ChatClientError(`Cannot reach ${url}: ${messageOf(error)}`, { cause: error });
    }
  };

  let browserOpened = false;
  const announce = async (consent: ConsentEvent, previous: ConsentEvent | undefined): Promise<void> => {
    if (consent.user_code !== undefined) {
      if (previous?.user_code === consent.user_code) {
        renderer.notice(`Still waiting for GitHub to confirm code ${consent.user_code}.`);
        return;
      }
      renderer.notice('GitHub needs your permission. Open this page and enter the code:');
      renderer.notice(`  ${consent.url}`);
      renderer.notice(`  code: ${consent.user_code}`);
    } else {
      renderer.notice('GitHub needs your permission. Open this link to authorize:');
      renderer.notice(`  ${consent.url}`);
    }
    browserOpened = false;
    if (deps.openBrowser && isHttpUrl(consent.url)) {
      try {
        await deps.openBrowser(consent.url);
        browserOpened = true;
      } catch {
        // The printed link is enough.
      }
    }
  };

  /** Without a browser here: how to finish the consent from another machine, or (stand-ins) without one. */
  const explainRemoteConsent = (consent: ConsentEvent, listener: LoopbackListener): void => {
    if (browserOpened) return;
    if (isHttpUrl(consent.url) && isLoopbackUrl(consent.url)) {
      renderer.notice(
        `No browser? The link is the local stand-in's: \`curl -sL '${consent.url}'\` plays the browser.`,
      );
      return;
    }
    renderer.notice(
      `Browser on another machine? Forward the port first: ssh -L ${listener.port}:localhost:${listener.port} <this machine>, then open the link there.`,
    );
  };

  const streamTurn = async (
    message: string,
    signal: AbortSignal,
    previous: ConsentEvent | undefined,
  ): Promise<StreamOutcome> => {
    const payload = {
      message,
      ...(sessionId === undefined ? {} : { session_id: sessionId }),
      ...(returnUrl === undefined ? {} : { return_url: returnUrl }),
    };
    const response = await post('/chat/stream', payload, 'text/event-stream', signal);
    if (!response.ok || !response.body)
      throw await httpError(response, 'The chat request', deps.signer !== undefined);
    const outcome: StreamOutcome = { done: false, errors: 0, toolFailed: false };
    try {
      for await (const sse of readSse(response.body)) {
        const parsed = parseChatEvent(sse.data);
        deps.json?.write(`${JSON.stringify(parsed.raw)}\n`);
        if (!parsed.ok) continue;
        const event = parsed.event;
        if (!deps.json) renderer.event(event);
        if (event.type === 'session') sessionId = event.session_id;
        else if (event.type === 'error') outcome.errors += 1;
        else if (event.type === 'tool_result') outcome.toolFailed = !event.ok && !isWithheld(event.summary);
        else if (event.type === 'write_pending') outcome.toolFailed = false;
        else if (event.type === 'oauth_url') {
          outcome.consent = event;
          // Listen before showing the link, so a fast browser never finds the port closed.
          const listen = event.user_code === undefined && !outcome.listener;
          if (listen) outcome.listener = await startListener(event);
          await announce(event, previous);
        } else if (event.type === 'done') {
          outcome.done = true;
          break;
        }
      }
    } catch (error) {
      await outcome.listener?.close();
      if (signal.aborted) throw signal.reason;
      if (error instanceof ChatClientError) throw error;
      throw new ChatClientError(`The chat stream broke off: ${messageOf(error)}`, { cause: error });
    }
    if (!outcome.done) {
      await outcome.listener?.close();
      throw new ChatClientError(
        'The stream ended without a "done" event: the reply is incomplete (the server may have timed out or crashed).',
      );
    }
    return outcome;
  };

  const startListener = async (consent: ConsentEvent): Promise<LoopbackListener> => {
    try {
      return await deps.startListener({
        expectedStateHash: consent.state_hash,
        expectedSessionUri: consent.session_uri,
        port: options.callbackPort,
        onUnmatched: (names) =>
          renderer.notice(
            `A redirect that does not match this authorization reached ${CALLBACK_PATH} (query parameters: ${names.join(', ') || 'none'}); still waiting. If it came from the link just opened, report these parameter names.`,
          ),
      });
    } catch (error) {
      throw new ChatClientError(
        `Cannot listen for the GitHub authorization on port ${options.callbackPort}: ${messageOf(error)}. Free the port, or use --callback-port with another port registered as a return URL.`,
        { cause: error },
      );
    }
  };

  const completeBrowserConsent = async (listener: LoopbackListener, signal: AbortSignal): Promise<void> => {
    let sessionUri: string;
    let state: string;
    try {
      ({ sessionUri, state } = await within(
        listener.redirect,
        signal,
        consentTimeoutMs,
        'the browser to return',
      ));
    } catch (error) {
      if (error instanceof RedirectWithoutStateError)
        throw new ChatClientError(error.message, { cause: error });
      throw error;
    } finally {
      await listener.close();
    }
    const response = await post(
      '/oauth/complete',
      { session_uri: sessionUri, state },
      'application/json',
      signal,
    );
    if (!response.ok)
      throw await httpError(response, 'Completing the GitHub authorization', deps.signer !== undefined);
    renderer.notice('GitHub connected. Sending your message again…');
  };

  return {
    get sessionId() {
      return sessionId;
    },

    async send(message, signal) {
      let browserConsents = 0;
      let deviceRounds = 0;
      let previous: ConsentEvent | undefined;
      for (;;) {
        const outcome = await streamTurn(message, signal, previous);
        if (!outcome.consent) {
          return { errors: outcome.errors, failed: outcome.errors > 0 || outcome.toolFailed };
        }
        previous = outcome.consent;
        if (outcome.listener) {
          if (++browserConsents > maxBrowserConsents) {
            await outcome.listener.close();
            throw new ChatClientError('GitHub kept asking for authorization; giving up on this message.');
          }
          // After the stream, so the link and the server's words come first and "waiting" last.
          explainRemoteConsent(outcome.consent, outcome.listener);
          renderer.notice(
            `Waiting for the browser to return to ${outcome.listener.returnUrl} (Ctrl-C to stop)…`,
          );
          await completeBrowserConsent(outcome.listener, signal);
        } else {
          if (++deviceRounds > maxDeviceRounds) {
            throw new ChatClientError(
              'GitHub did not confirm the device code in time; send the message again.',
            );
          }
          await deps.waitForDeviceConfirmation(signal);
          renderer.notice('Checking with GitHub…');
        }
      }
    },
  };
}

/** Resolves `path` under the base URL, keeping any path prefix the base has. */
function endpoint(base: string, path: string): string {
  const url = new URL(base);
  url.pathname = `${trimTrailing(url.pathname, '/')}${path}`;
  url.search = '';
  return url.href;
}

async function httpError(response: Response, what: string, signed: boolean): Promise<ChatClientError> {
  const text = await response.text().catch(() => '');
  let detail = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const found = body.error ?? body.message ?? body.Message;
    if (typeof found === 'string') detail = found;
  } catch {
    // not JSON: keep the text
  }
  let hint = '';
  if (response.status === 403 && !signed) {
    hint = ' The endpoint wants signed requests: a non-local URL is signed automatically, or pass --sign.';
  } else if (response.status === 403 && /forbidden|signature|security token/i.test(detail)) {
    hint =
      ' Check your AWS credentials, the region, and that you may call lambda:InvokeFunctionUrl on this function.';
  }
  detail = detail.trim().replace(/\.$/, '');
  return new ChatClientError(
    `${what} failed with HTTP ${response.status}${detail ? `: ${detail}` : ''}.${hint}`,
  );
}

/** Waits for `promise`, but no longer than `ms` and not past an abort. */
async function within<T>(promise: Promise<T>, signal: AbortSignal, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ChatClientError(`Gave up waiting for ${what}.`)), ms);
        timer.unref();
      }),
      new Promise<never>((_, reject) => {
        if (signal.aborted) return reject(signal.reason);
        onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** The loop's refusal of a write after third-party text (docs/api.md): waiting for the user, not failed. */
function isWithheld(summary: string): boolean {
  return summary.startsWith('withheld');
}

function isHttpUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
