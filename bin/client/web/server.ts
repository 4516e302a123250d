import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import {
  chatRequestSchema,
  MAX_BODY_BYTES,
  messageRequestSchema,
  sessionIdSchema,
  sessionListQuerySchema,
} from '../../../lambdas/chat/protocol';
import type { LoopbackListener, LoopbackListenerOptions } from '../oauth-listener';
import type { RequestSigner } from '../sign';
import type { PageAssets } from './assets';
import { ConsentError, createConsentBroker } from './consent';
import { checkRequest, TOKEN_HEADER } from './guard';
import { createUpstream, UpstreamError } from './upstream';

/** Settings of the page server. */
export interface WebServerOptions {
  /** The chat function's URL (a deployed function URL, or `npm run dev`'s server). */
  chatUrl: string;
  /** The page's loopback port (0 picks a free one). */
  port: number;
  /** The GitHub consent's loopback listener port (a registered return URL; 0 picks one, for tests). */
  callbackPort: number;
  /** The chat URL's default return URL port: with any other port the message names its return URL. */
  defaultCallbackPort: number;
  /** How long a consent may take (default 10 minutes). */
  consentTimeoutMs?: number;
  /** A fixed token instead of a random one (tests that craft requests by hand). */
  token?: string;
}

/** What the page server does to the outside world. */
export interface WebServerDeps {
  fetch: typeof fetch;
  /** Signs each request to the chat URL; absent for a loopback chat URL. */
  signer?: RequestSigner;
  startListener: (options: LoopbackListenerOptions) => Promise<LoopbackListener>;
  assets: PageAssets;
}

/** A running page server. */
export interface WebServer {
  /** The address to open: the page, with this run's token in the fragment (never sent to a server). */
  pageUrl: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** A turn may run for the function's 5 minutes, and a review longer: the proxy's own ceiling for one stream. */
const STREAM_TIMEOUT_MS = 30 * 60_000;
const READ_TIMEOUT_MS = 30_000;

/**
 * The page's Content-Security-Policy: its own script and style only, requests to itself only, no frames, no inline
 * code, no plugins. Model and GitHub text is rendered with `textContent`, and this is the second wall.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

const consentStartSchema = z.strictObject({
  state_hash: z.string().min(1).max(256),
  session_uri: z.string().min(1).max(2048),
});
const consentWaitSchema = z.strictObject({ state_hash: z.string().min(1).max(256) });

/** A refusal with the chat function's error shape `{error, type, timestamp}`. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves the chat page on 127.0.0.1 and forwards its requests to the chat URL, signed with the user's AWS credentials
 * (the browser never sees them). `/api/chat/stream` and `/api/sessions[/{id}]` map onto the chat function's routes; `/api/consent/*` runs the loopback consent; `/api/info` says where the page is connected. Every
 * `/api/` request passes {@link checkRequest} (loopback Host and Origin, this run's token) or gets a 403 and is not
 * forwarded.
 */
export async function startWebServer(options: WebServerOptions, deps: WebServerDeps): Promise<WebServer> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const upstream = createUpstream(options.chatUrl, { fetch: deps.fetch, signer: deps.signer });
  const consent = createConsentBroker({
    upstream,
    startListener: deps.startListener,
    callbackPort: options.callbackPort,
    timeoutMs: options.consentTimeoutMs,
  });
  let port = 0;
  let returnUrl: string | undefined;

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL, signal: AbortSignal) => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      return send(res, 200, 'text/html; charset=utf-8', deps.assets.html, {
        'content-security-policy': PAGE_CSP,
      });
    }
    if (method === 'GET' && path === '/app.js')
      return send(res, 200, 'text/javascript; charset=utf-8', deps.assets.js);
    if (method === 'GET' && path === '/app.css')
      return send(res, 200, 'text/css; charset=utf-8', deps.assets.css);
    if (method === 'GET' && path === '/api/info') {
      return json(res, 200, { chat_url: upstream.url, signed: deps.signer !== undefined });
    }
    if (method === 'POST' && path === '/api/chat/stream') {
      const body = parseBody(chatRequestSchema, await readBody(req));
      // The deployment sends the browser back to its default return URL unless the message names ours.
      const message = messageRequestSchema.safeParse(body);
      const outgoing =
        message.success && returnUrl !== undefined && message.data.return_url === undefined
          ? { ...message.data, return_url: returnUrl }
          : body;
      return relay(res, await upstream.request('POST', '/chat/stream', JSON.stringify(outgoing), signal));
    }
    if (method === 'GET' && path === '/api/sessions') {
      const query = sessionListQuerySchema.safeParse({ limit: url.searchParams.get('limit') ?? undefined });
      if (!query.success)
        throw new RequestError(400, 'invalid_request', `limit: ${query.error.issues[0]?.message}`);
      const path = `/sessions?limit=${query.data.limit}`;
      return relay(res, await upstream.request('GET', path, undefined, timeout(signal)));
    }
    if (method === 'GET' && path.startsWith('/api/sessions/')) {
      const id = sessionIdSchema.safeParse(decodeURIComponent(path.slice('/api/sessions/'.length)));
      if (!id.success) throw new RequestError(400, 'invalid_request', 'session_id: must be a session id');
      return relay(res, await upstream.request('GET', `/sessions/${id.data}`, undefined, timeout(signal)));
    }
    if (method === 'POST' && path === '/api/consent/start') {
      const input = parseBody(consentStartSchema, await readBody(req));
      const started = await consent.start({ stateHash: input.state_hash, sessionUri: input.session_uri });
      return json(res, 200, { status: 'listening', return_url: started.returnUrl });
    }
    if (method === 'POST' && path === '/api/consent/wait') {
      const input = parseBody(consentWaitSchema, await readBody(req));
      await consent.wait(input.state_hash, signal);
      return json(res, 200, { status: 'completed' });
    }
    if (method === 'GET' && path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    throw new RequestError(404, 'not_found', `No route for ${method} ${path}`);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const verdict = checkRequest(
      {
        method: req.method ?? 'GET',
        path: url.pathname,
        host: req.headers.host,
        origin: header(req, 'origin'),
        secFetchSite: header(req, 'sec-fetch-site'),
        token: header(req, TOKEN_HEADER),
      },
      { port, token },
    );
    if (!verdict.ok) {
      req.resume();
      json(res, 403, errorBody('forbidden', verdict.reason));
      return;
    }
    // The page going away (tab closed, retry) ends the upstream request too.
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort(new Error('the page went away'));
    });
    const signal = AbortSignal.any([gone.signal, AbortSignal.timeout(STREAM_TIMEOUT_MS)]);
    route(req, res, url, signal).catch((error: unknown) => fail(res, error, gone.signal.aborted));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  if (options.callbackPort !== options.defaultCallbackPort && options.callbackPort !== 0) {
    returnUrl = `http://localhost:${options.callbackPort}/oauth/callback`;
  }
  const origin = `http://127.0.0.1:${port}`;
  return {
    pageUrl: `${origin}/#token=${token}`,
    origin,
    port,
    async close() {
      await consent.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** Passes the chat function's answer through as it arrives: status, type, and the body chunk by chunk (SSE). */
async function relay(res: ServerResponse, upstream: Response): Promise<void> {
  res.writeHead(upstream.status, {
    ...SECURITY_HEADERS,
    'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
  });
  res.flushHeaders();
  if (!upstream.body) {
    res.end();
    return;
  }
  for await (const chunk of upstream.body) {
    if (res.destroyed) break;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

function fail(res: ServerResponse, error: unknown, pageGone: boolean): void {
  if (pageGone) {
    res.destroy();
    return;
  }
  if (res.headersSent) {
    // Mid-stream: the page sees a stream without `done` and says the connection was lost.
    res.destroy();
    return;
  }
  if (error instanceof RequestError || error instanceof ConsentError) {
    json(res, error.status, errorBody(error.type, error.message));
  } else if (error instanceof UpstreamError) {
    json(res, 502, errorBody(error.type, error.message));
  } else {
    const message = error instanceof Error ? error.message : String(error);
    json(res, 500, errorBody('internal_error', `The page server failed: ${message}`));
  }
}

function parseBody<T extends z.ZodType>(schema: T, text: string): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RequestError(400, 'invalid_request', 'The body must be JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RequestError(400, 'invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message}`);
  }
  return parsed.data;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, 'payload_too_large', 'The body is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function timeout(signal: AbortSignal): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(READ_TIMEOUT_MS)]);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function errorBody(type: string, error: string) {
  return { error, type, timestamp: new Date().toISOString() };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, 'content-type': type }).end(body);
}
