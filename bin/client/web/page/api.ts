import * as z from 'zod';
import {
  type ChatRequest,
  type SessionList,
  type SessionView,
  sessionListSchema,
  sessionViewSchema,
} from '../../../../lambdas/chat/protocol';
import { parseChatEvent, type ReceivedEvent } from '../../events';
import { createSseParser } from '../../sse';

/** The header the page server expects this run's token in (bin/client/web/guard.ts). */
const TOKEN_HEADER = 'x-chat-web-token';

const errorBodySchema = z.object({ error: z.string(), type: z.string().optional() });
const infoSchema = z.object({ chat_url: z.string(), signed: z.boolean() });

export type SessionSummary = SessionList['sessions'][number];
export type SessionDetail = SessionView;

/** A refusal or failure with something to tell the user; `status` 0 means the page server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** How a stream ended: with `done`, or cut off before it (lost connection, server crash). */
export type StreamEnd = 'done' | 'cut';

/** The page server's API, with this run's token on every request. */
export interface Api {
  info(): Promise<z.infer<typeof infoSchema>>;
  /** Streams a turn, handing each event to `onEvent` as it arrives. @throws ApiError when refused before streaming */
  stream(
    body: ChatRequest,
    onEvent: (event: ReceivedEvent) => void,
    signal?: AbortSignal,
  ): Promise<StreamEnd>;
  sessions(): Promise<SessionSummary[]>;
  session(id: string): Promise<SessionDetail>;
  consentStart(stateHash: string, sessionUri: string): Promise<void>;
  consentWait(stateHash: string): Promise<void>;
}

/** Creates the {@link Api} for `token`. */
export function createApi(token: string): Api {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal) => {
    const headers: Record<string, string> = { [TOKEN_HEADER]: token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: 'same-origin',
      });
    } catch (error) {
      throw new ApiError(0, `Lost the connection to the page server (${messageOf(error)}).`);
    }
    if (!response.ok) throw new ApiError(response.status, await errorText(response));
    return response;
  };
  const json = async <T extends z.ZodType>(schema: T, response: Response): Promise<z.infer<T>> => {
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new ApiError(response.status, 'The server answered in an unexpected shape.');
    return parsed.data;
  };
  return {
    async info() {
      return json(infoSchema, await call('GET', '/api/info'));
    },
    async stream(body, onEvent, signal) {
      const response = await call('POST', '/api/chat/stream', body, signal);
      if (!response.body) return 'cut';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = createSseParser();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return 'cut';
          for (const message of parser.push(value)) {
            const parsed = parseChatEvent(message.data);
            if (!parsed.ok) continue;
            onEvent(parsed.event);
            if (parsed.event.type === 'done') return 'done';
          }
        }
      } catch {
        return 'cut';
      } finally {
        reader.cancel().catch(() => undefined);
      }
    },
    async sessions() {
      return (await json(sessionListSchema, await call('GET', '/api/sessions?limit=20'))).sessions;
    },
    async session(id) {
      return json(sessionViewSchema, await call('GET', `/api/sessions/${encodeURIComponent(id)}`));
    },
    async consentStart(stateHash, sessionUri) {
      await call('POST', '/api/consent/start', { state_hash: stateHash, session_uri: sessionUri });
    },
    async consentWait(stateHash) {
      await call('POST', '/api/consent/wait', { state_hash: stateHash });
    },
  };
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) return `${parsed.data.error} (HTTP ${response.status})`;
  } catch {
    // not JSON
  }
  return `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
