import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions, NodeHttpHandlerOptions } from '@smithy/types';

type Request = Parameters<NodeHttpHandler['handle']>[0];
type Response = Awaited<ReturnType<NodeHttpHandler['handle']>>;

/** Error codes of a connection the other end closed or reset under us. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** Sockets per host in the keep-alive pool: the SDK's own default. */
const MAX_SOCKETS = 50;

/**
 * An HTTP/1.1 handler that sends a request again, once, on a new connection when it failed because a pooled
 * keep-alive connection it reused had been closed by the server (ECONNRESET, EPIPE, "socket hang up"). That is the race
 * of a client reusing an idle connection just as the server's keep-alive timeout closes it: the request never reached
 * the server, so sending it again is safe, and it goes on a new connection because the pool's other idle connections
 * are likely just as stale. Only reused connections count: a reset on a new connection is the server's answer and is
 * left to the SDK's retry strategy. Bounded: one extra attempt per request.
 */
export class ResetRetryHandler extends NodeHttpHandler {
  private readonly fresh: NodeHttpHandler;
  private readonly resetsOnReuse: WeakSet<Error>;

  constructor(options: Omit<NodeHttpHandlerOptions, 'httpAgent' | 'httpsAgent'>) {
    const resetsOnReuse = new WeakSet<Error>();
    super({
      ...options,
      httpAgent: markResetsOnReuse(
        new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        resetsOnReuse,
      ),
      httpsAgent: markResetsOnReuse(
        new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        resetsOnReuse,
      ),
    });
    this.resetsOnReuse = resetsOnReuse;
    // One connection per request: the retry can never land on another stale pooled connection.
    this.fresh = new NodeHttpHandler({
      ...options,
      httpAgent: new HttpAgent({ keepAlive: false }),
      httpsAgent: new HttpsAgent({ keepAlive: false }),
    });
  }

  override async handle(request: Request, options?: HttpHandlerOptions): Promise<Response> {
    try {
      return await super.handle(request, options);
    } catch (error) {
      if (!(error instanceof Error) || !this.resetsOnReuse.has(error) || options?.abortSignal?.aborted)
        throw error;
      return this.fresh.handle(request, options);
    }
  }

  override destroy(): void {
    super.destroy();
    this.fresh.destroy();
  }
}

/** Remembers the connection-reset errors of requests that went out on a reused (pooled, idle) socket. */
function markResetsOnReuse<A extends HttpAgent>(agent: A, marked: WeakSet<Error>): A {
  const reuse = agent.reuseSocket.bind(agent);
  agent.reuseSocket = (socket, request) => {
    reuse(socket, request);
    request.once('error', (error: NodeJS.ErrnoException) => {
      if (RESET_CODES.has(error.code ?? '')) marked.add(error);
    });
  };
  return agent;
}
