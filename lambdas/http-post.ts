import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** An HTTP response read to its end. */
export interface PostResponse {
  statusCode: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface HttpPostOptions {
  /** TCP (and TLS) connection phase of a new connection. */
  connectMs: number;
  /** From sending the request to the end of the response body. */
  requestMs: number;
}

/** Sends a POST and reads the whole answer. */
export type HttpPost = (url: URL, headers: Record<string, string>, body: string) => Promise<PostResponse>;

/** Error codes of a connection the other end closed or reset under us. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);
/** Sockets per host in the keep-alive pool (the SDK's default). */
const MAX_SOCKETS = 50;

/**
 * POSTs over keep-alive connections, with a connection timeout and a request timeout that fail with a `TimeoutError`
 * (what `isDependencyTimeout` and the SDK's retry classification know). A request that a reused pooled connection lost
 * to the server closing it (ECONNRESET/EPIPE on `reusedSocket`) never reached the server: it is sent once more on a
 * new connection, as the SDK path's ResetRetryHandler does (Node's documented pattern for keep-alive races).
 */
export function createHttpPost(options: HttpPostOptions): HttpPost {
  const pooled = {
    http: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
  };
  const fresh = { http: new HttpAgent({ keepAlive: false }), https: new HttpsAgent({ keepAlive: false }) };
  return async (url, headers, body) => {
    try {
      return await send(url, headers, body, pooled, options);
    } catch (error) {
      if (!(error instanceof ResetOnReuseError)) throw error;
      return send(url, headers, body, fresh, options);
    }
  };
}

/** A reused keep-alive connection was closed under the request: safe to send again on a new one. */
class ResetOnReuseError extends Error {}

function send(
  url: URL,
  headers: Record<string, string>,
  body: string,
  agents: { http: HttpAgent; https: HttpsAgent },
  options: HttpPostOptions,
): Promise<PostResponse> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const request: ClientRequest = (secure ? httpsRequest : httpRequest)({
      host: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      method: 'POST',
      path: url.pathname,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      agent: secure ? agents.https : agents.http,
    });
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      const code = (error as NodeJS.ErrnoException).code ?? '';
      reject(
        request.reusedSocket && RESET_CODES.has(code)
          ? new ResetOnReuseError(error.message, { cause: error })
          : error,
      );
    };
    const deadline = setTimeout(
      () => fail(timeoutError(`No answer within ${options.requestMs} ms`)),
      options.requestMs,
    );
    request.once('socket', (socket) => {
      if (!socket.connecting) return;
      const connecting = setTimeout(
        () => fail(timeoutError(`No connection within ${options.connectMs} ms`)),
        options.connectMs,
      );
      socket.once('connect', () => clearTimeout(connecting));
      socket.once('close', () => clearTimeout(connecting));
    });
    request.on('error', fail);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({
          statusCode: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    request.end(body);
  });
}

function timeoutError(message: string): Error {
  const error = new Error(message);
  error.name = 'TimeoutError';
  return error;
}
