import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesStateHash } from '../../lambdas/identity/consent-state';

/** Where AgentCore sends the browser after consent, registered in the workload identity's return URLs. */
export const DEFAULT_CALLBACK_PORT = 8976;
export const CALLBACK_PATH = '/oauth/callback';

/** A running loopback listener for one consent. */
export interface LoopbackListener {
  /** `http://localhost:<port>/oauth/callback`. */
  returnUrl: string;
  port: number;
  /** Resolves with AgentCore's session URI and the state once a redirect carrying the expected state arrives. */
  redirect: Promise<{ sessionUri: string; state: string }>;
  /** Stops listening; a pending `redirect` rejects. Safe to call twice. */
  close(): Promise<void>;
}

/** Options for {@link startLoopbackListener}. */
export interface LoopbackListenerOptions {
  /** The `state_hash` of the `oauth_url` event: the SHA-256 of the customState the server gave AgentCore. */
  expectedStateHash: string;
  /** The `session_uri` of the `oauth_url` event: a redirect for another consent is refused. */
  expectedSessionUri?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  path?: string;
  /**
   * Told the query parameter names (never the values) of a redirect that carried no matching state and is not for
   * this consent, so the user sees at once what reached the listener; the listener keeps waiting.
   */
  onUnmatched?: (parameterNames: string[]) => void;
}

/**
 * The browser came back for this consent (its `session_id` is the expected one) but no query value was the state:
 * AgentCore did not hand the customState back, or not where the client can see it. Waiting longer cannot help.
 */
export class RedirectWithoutStateError extends Error {
  constructor(readonly parameterNames: string[]) {
    super(
      `The browser came back from GitHub without this authorization's state (query parameters: ${
        parameterNames.join(', ') || 'none'
      }), so the client cannot prove the redirect reached it and did not complete the authorization. Send the message again; if this repeats, report these parameter names.`,
    );
    this.name = 'RedirectWithoutStateError';
  }
}

const NOT_COMPLETED =
  'GitHub sent you back, but without the check value your terminal expects, so the authorization was not completed. Return to the terminal: it says what came back and what to do.';

/** Parameter names as the terminal may show them: printable ASCII, each short, not too many. */
const MAX_NAMES = 20;
const MAX_NAME_CHARS = 40;

/**
 * Listens on the loopback interface for the browser's return from AgentCore:
 * `GET /oauth/callback?session_id=<sessionUri>&<some name>=<customState>`.
 *
 * AWS documents `session_id` but not the name of the parameter that carries the customState, so the redirect is
 * accepted when **any** query value hashes to the expected state hash (compared in constant time) and its
 * `session_id`, when present, is the expected session. The state is secret until the browser brings it: the client then
 * proves the redirect reached it by sending the state to `/oauth/complete`.
 *
 * When no value matches:
 * - a redirect for this consent (its `session_id` is the expected one) gets a page saying so and `redirect` rejects
 *   with {@link RedirectWithoutStateError} naming the query parameters, instead of waiting for a timeout;
 * - anything else (a stale or foreign link) gets a 400 page, `onUnmatched` hears its parameter names, and the listener
 *   keeps waiting, so a forged link cannot complete a consent here.
 * Parameter values are never reported: one of them may be a code or a state.
 *
 * Binds 127.0.0.1 and, when available, ::1, because browsers may resolve `localhost` to either; never a public
 * interface.
 */
export async function startLoopbackListener(options: LoopbackListenerOptions): Promise<LoopbackListener> {
  const path = options.path ?? CALLBACK_PATH;
  let settle:
    | { resolve: (value: { sessionUri: string; state: string }) => void; reject: (error: Error) => void }
    | undefined;
  const redirect = new Promise<{ sessionUri: string; state: string }>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The caller may close before awaiting; keep that rejection from being reported as unhandled.
  redirect.catch(() => undefined);
  let outcome: 'waiting' | 'connected' | 'failed' = 'waiting';

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== path) {
      page(res, 404, 'Not found', 'This address only receives the GitHub authorization redirect.');
      return;
    }
    if (outcome === 'connected') {
      page(res, 200, 'Already connected', 'GitHub is already connected. You can close this tab.');
      return;
    }
    if (outcome === 'failed') {
      page(res, 400, 'Authorization not completed', NOT_COMPLETED);
      return;
    }
    const params = [...url.searchParams];
    const state = params.find(([, value]) => matchesStateHash(value, options.expectedStateHash))?.[1];
    const sessionId = url.searchParams.get('session_id') ?? undefined;
    const expected = options.expectedSessionUri;
    const ours = sessionId !== undefined && sessionId === expected;
    const otherSession = sessionId !== undefined && expected !== undefined && sessionId !== expected;
    // The state proves the redirect is this consent's; without session_id the event's session URI is the one.
    const sessionUri = sessionId ?? expected;
    if (state !== undefined && !otherSession && sessionUri !== undefined) {
      outcome = 'connected';
      page(res, 200, 'GitHub connected', 'You can close this tab and return to the terminal.');
      settle?.resolve({ sessionUri, state });
      return;
    }
    const names = parameterNames(params);
    if (ours) {
      outcome = 'failed';
      page(res, 400, 'Authorization not completed', NOT_COMPLETED);
      settle?.reject(new RedirectWithoutStateError(names));
      return;
    }
    options.onUnmatched?.(names);
    page(
      res,
      400,
      'Authorization not accepted',
      'This link does not match the authorization your terminal is waiting for. Use the link the terminal printed.',
    );
  };

  const servers: Server[] = [];
  const primary = createServer(handler);
  await listen(primary, options.port ?? DEFAULT_CALLBACK_PORT, '127.0.0.1');
  servers.push(primary);
  const port = (primary.address() as AddressInfo).port;
  const secondary = createServer(handler);
  try {
    await listen(secondary, port, '::1');
    servers.push(secondary);
  } catch {
    // No IPv6 loopback here (or the port is taken on it): 127.0.0.1 alone still serves most browsers.
  }

  let closed: Promise<void> | undefined;
  return {
    returnUrl: `http://localhost:${port}${path}`,
    port,
    redirect,
    close() {
      closed ??= (async () => {
        if (outcome === 'waiting')
          settle?.reject(new Error('The authorization listener was closed before the browser returned'));
        await Promise.all(
          servers.map(
            (server) =>
              new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
              }),
          ),
        );
      })();
      return closed;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The distinct query parameter names, made safe to print (a name could carry terminal escape sequences). */
function parameterNames(params: Array<[string, string]>): string[] {
  const names = [...new Set(params.map(([name]) => name))];
  const shown = names
    .slice(0, MAX_NAMES)
    .map((name) => name.slice(0, MAX_NAME_CHARS).replace(/[^\x20-\x7e]/g, '?'));
  return names.length > MAX_NAMES ? [...shown, `… ${names.length - MAX_NAMES} more`] : shown;
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(
      `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body>`,
    );
}
