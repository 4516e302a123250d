import { timingSafeEqual } from 'node:crypto';

/** The header the page sends the per-run token in (a custom header also forces a CORS preflight cross-origin). */
export const TOKEN_HEADER = 'x-chat-web-token';

/** What the guard looks at in a request; header values as Node gives them (lower-case names). */
export interface GuardedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  host: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  token: string | undefined;
}

/** The page server's identity: the port it listens on and this run's token. */
export interface GuardPolicy {
  port: number;
  token: string;
}

/** The verdict: allowed, or refused with a reason for the 403 body (never echoing the token). */
export type GuardVerdict = { ok: true } | { ok: false; reason: string };

/** The loopback names the page may be reached by; any other Host is a DNS-rebinding attempt or a mistake. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/** The page's own origins: only they may send state-changing or streaming requests. */
export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((host) => `http://${host}`);
}

/**
 * Decides whether the page server may answer a request. Every request needs a loopback `Host` of this port (so a
 * rebound DNS name cannot reach it). The proxy (`/api/…`) also needs:
 * - this run's token in {@link TOKEN_HEADER} (another page cannot read it: it is in the page's URL fragment);
 * - an `Origin` of this server on anything but GET/HEAD, and no foreign `Origin` on GET;
 * - `Sec-Fetch-Site: same-origin` when the browser sends it (another port on 127.0.0.1 is same-site, not same-origin).
 */
export function checkRequest(request: GuardedRequest, policy: GuardPolicy): GuardVerdict {
  const host = request.host?.toLowerCase();
  if (host === undefined || !allowedHosts(policy.port).includes(host)) {
    return { ok: false, reason: 'This page only answers on its loopback address.' };
  }
  if (!request.path.startsWith('/api/')) return { ok: true };
  const origins = allowedOrigins(policy.port);
  const readOnly = request.method === 'GET' || request.method === 'HEAD';
  if (request.origin !== undefined && !origins.includes(request.origin.toLowerCase())) {
    return { ok: false, reason: 'Requests from another origin are refused.' };
  }
  if (!readOnly && request.origin === undefined) {
    return {
      ok: false,
      reason: 'A request that changes something must come from the page (Origin missing).',
    };
  }
  if (request.secFetchSite !== undefined && request.secFetchSite !== 'same-origin') {
    return { ok: false, reason: 'Requests from another site or origin are refused.' };
  }
  if (request.token === undefined || !sameSecret(request.token, policy.token)) {
    return { ok: false, reason: 'Missing or wrong page token: open the address the terminal printed.' };
  }
  return { ok: true };
}

/** Constant-time comparison, so the token cannot be guessed a character at a time from response times. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
