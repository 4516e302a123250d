import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What the local function URL checks before it builds an event: the `Host` header (a DNS-rebinding defence: a web
 * page whose name now resolves to 127.0.0.1 must not reach a server that acts as the signed-in user) and the body
 * size, counted while the body arrives so a huge upload is never buffered.
 */

/** The names a browser sends for this machine; anything else is another site's name pointed at us. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `name` or `name:port`, where an IPv6 name is bracketed. Linear: no nested or overlapping quantifiers. */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/;

/** Once a body is refused, at most this many more bytes are read (and dropped) before the connection is cut. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

/**
 * Whether a `Host` header names this machine: `localhost`, `127.0.0.1` or `[::1]`, with or without a port, or one of
 * `extraNames` (a concrete address the server was told to listen on).
 */
export function isAllowedHost(host: string | undefined, extraNames: readonly string[] = []): boolean {
  if (host === undefined || host.length > 300) return false;
  const name = HOST_HEADER.exec(host)?.[1]?.toLowerCase();
  if (name === undefined) return false;
  return LOOPBACK_NAMES.has(name) || extraNames.some((extra) => extra.toLowerCase() === name);
}

/** The body, or `too_large` as soon as more than `maxBytes` have arrived (or were announced by Content-Length). */
export function readBodyWithin(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        detach();
        chunks.length = 0;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      detach();
      reject(error);
    };
    const detach = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.pause();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * Answers with the handler's `{error, type, timestamp}` JSON shape and closes the connection. Whatever body is still
 * arriving is read and dropped up to a small limit (so the client gets to read the answer instead of a reset), then
 * the connection is cut: a refused upload costs neither memory nor unbounded reading.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
): void {
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ error: message, type, timestamp: new Date().toISOString() }), () => {
    // Give the answer a moment to reach the client before a still-uploading connection is cut.
    setTimeout(() => req.socket.destroy(), 250).unref();
  });
}

/** What a local function-URL stand-in accepts: its names and its body size, and how it names itself in a refusal. */
export interface LocalRequestGuard {
  /** Concrete listen addresses (see {@link listenNames}) besides the loopback names. */
  extraHosts: readonly string[];
  maxBodyBytes: number;
  /** E.g. "The local server": the start of the 421 message. */
  who: string;
  /** The 413 message. */
  tooLarge: string;
}

/** The names a server listening on `host` may also be called by: a concrete address, never a wildcard. */
export function listenNames(host: string | undefined): string[] {
  return host && !['0.0.0.0', '::'].includes(host) ? [host] : [];
}

/**
 * The request's body once its `Host` is one of ours (else 421) and it fits (else 413); undefined when the request was
 * refused and answered already.
 */
export async function readGuardedBody(
  req: IncomingMessage,
  res: ServerResponse,
  guard: LocalRequestGuard,
): Promise<Buffer | undefined> {
  // DNS rebinding: a page on another site whose name now resolves to 127.0.0.1 still sends its own name as Host.
  if (!isAllowedHost(req.headers.host, guard.extraHosts)) {
    refuse(req, res, 421, 'misdirected_request', `${guard.who} answers only localhost, 127.0.0.1 or [::1]`);
    return undefined;
  }
  const body = await readBodyWithin(req, guard.maxBodyBytes);
  if (body === 'too_large') {
    refuse(req, res, 413, 'payload_too_large', guard.tooLarge);
    return undefined;
  }
  return body;
}
