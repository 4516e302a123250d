import { readSse } from '../../bin/client/sse';
import type { ChatEvent } from '../../lambdas/agent/events';

/** What a test sees of one HTTP exchange with the chat endpoint. */
export interface ChatExchange {
  status: number;
  headers: Headers;
  /** Parsed `data:` events, in order (empty for JSON answers). */
  events: ChatEvent[];
  /** The body as text. */
  text: string;
  /** The body as JSON when it is JSON. */
  json?: Record<string, unknown>;
}

/** Options for one request; `user` picks the local IAM principal (the local server's `x-local-user`). */
export interface RequestOptions {
  user?: string;
  headers?: Record<string, string>;
  method?: string;
  /** A raw body instead of JSON. */
  rawBody?: string;
  signal?: AbortSignal;
}

/** Sends a request to the local function URL and reads the whole answer (SSE events or JSON). */
export async function exchange(
  baseUrl: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<ChatExchange> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.user) headers['x-local-user'] = options.user;
  const response = await fetch(new URL(path, baseUrl), {
    method: options.method ?? (body === undefined && options.rawBody === undefined ? 'GET' : 'POST'),
    headers,
    body: options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    signal: options.signal,
  });
  const events: ChatEvent[] = [];
  let text = '';
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream') && response.body) {
    const raw: string[] = [];
    for await (const message of readSse(teeText(response.body, raw))) {
      events.push(JSON.parse(message.data) as ChatEvent);
    }
    text = raw.join('');
  } else {
    text = await response.text();
  }
  let json: Record<string, unknown> | undefined;
  if ((response.headers.get('content-type') ?? '').startsWith('application/json')) {
    json = JSON.parse(text) as Record<string, unknown>;
  }
  return { status: response.status, headers: response.headers, events, text, json };
}

/** Posts a chat message (or action) and collects the events. */
export function chat(baseUrl: string, body: unknown, options: RequestOptions = {}): Promise<ChatExchange> {
  return exchange(baseUrl, '/chat/stream', body, options);
}

/** The concatenated `token` contents: what the user read. */
export function textOf(events: ChatEvent[]): string {
  return events.flatMap((event) => (event.type === 'token' ? [event.content] : [])).join('');
}

async function* teeText(body: AsyncIterable<Uint8Array>, into: string[]): AsyncGenerator<Uint8Array> {
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    into.push(decoder.decode(chunk, { stream: true }));
    yield chunk;
  }
}
