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
}

/**
 * Listens on the loopback interface for the browser's return from AgentCore:
 * `GET /oauth/callback?session_id=<sessionUri>&state=<customState>`.
 *
 * Only a redirect whose state hashes to the expected hash (compared in constant time), for the expected session, is
 * accepted; anything else gets a 400 page and the listener keeps waiting, so a forged or stale link cannot complete
 * a consent here. The state itself is secret until the browser brings it: the client then proves the redirect
 * reached it by sending the state to `/oauth/complete`.
 * The state is read from `state` and, failing that, `custom_state`, since AgentCore's documentation describes the
 * customState coming back "to the callback URL" without naming the query parameter.
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
  let done = false;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== path) {
      page(res, 404, 'Not found', 'This address only receives the GitHub authorization redirect.');
      return;
    }
    if (done) {
      page(res, 200, 'Already connected', 'GitHub is already connected. You can close this tab.');
      return;
    }
    const state = url.searchParams.get('state') ?? url.searchParams.get('custom_state') ?? '';
    const sessionUri = url.searchParams.get('session_id') ?? '';
    const otherSession =
      options.expectedSessionUri !== undefined && sessionUri !== options.expectedSessionUri;
    if (
      state === '' ||
      !matchesStateHash(state, options.expectedStateHash) ||
      sessionUri === '' ||
      otherSession
    ) {
      page(
        res,
        400,
        'Authorization not accepted',
        'This link does not match the authorization your terminal is waiting for. Use the link the terminal printed.',
      );
      return;
    }
    done = true;
    page(res, 200, 'GitHub connected', 'You can close this tab and return to the terminal.');
    settle?.resolve({ sessionUri, state });
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
        if (!done)
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

function page(res: ServerResponse, status: number, title: string, text: string): void {
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(
      `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body>`,
    );
}
