import { trimTrailing } from '../../../lambdas/text';
import type { RequestSigner } from '../sign';

/** A request to the chat URL failed before it had an HTTP answer; `type` is the 502 body's stable code. */
export class UpstreamError extends Error {
  constructor(
    readonly type: 'signing_failed' | 'upstream_unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

/** The chat function as the page server reaches it: every request signed as the terminal client signs it. */
export interface Upstream {
  /** The chat URL, for messages. */
  readonly url: string;
  /**
   * Sends `method path` (path with its query) with an optional JSON body.
   * @throws UpstreamError when signing fails or the chat URL cannot be reached
   * @throws the signal's reason when aborted
   */
  request(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<Response>;
}

/** What {@link createUpstream} needs. */
export interface UpstreamDeps {
  fetch: typeof fetch;
  /** Absent for a loopback chat URL (`npm run dev` takes unsigned requests). */
  signer?: RequestSigner;
}

/** Creates an {@link Upstream} for the chat URL `base` (a path prefix on it is kept). */
export function createUpstream(base: string, deps: UpstreamDeps): Upstream {
  return {
    url: base,
    async request(method, path, body, signal) {
      const url = endpoint(base, path);
      let headers: Record<string, string> =
        body === undefined
          ? { accept: 'application/json' }
          : { 'content-type': 'application/json', accept: 'text/event-stream, application/json' };
      if (deps.signer) {
        try {
          headers = await deps.signer({ method, url, headers, body: body ?? '' });
        } catch (error) {
          throw new UpstreamError(
            'signing_failed',
            `Could not sign the request with AWS credentials: ${messageOf(error)}. Configure credentials (aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and restart the page.`,
            { cause: error },
          );
        }
      }
      try {
        return await deps.fetch(url, { method, headers, body, signal });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw new UpstreamError('upstream_unreachable', `Cannot reach ${url}: ${messageOf(error)}`, {
          cause: error,
        });
      }
    },
  };
}

/** `path` (with its query) under the base URL, keeping any path prefix the base has. */
function endpoint(base: string, path: string): string {
  const url = new URL(base);
  const target = new URL(path, 'http://placeholder');
  url.pathname = `${trimTrailing(url.pathname, '/')}${target.pathname}`;
  url.search = target.search;
  return url.href;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
