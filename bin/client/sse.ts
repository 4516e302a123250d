import { createParser, type EventSourceParser } from 'eventsource-parser';

/** One dispatched Server-Sent Event. */
export interface SseMessage {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  id?: string;
}

/** An incremental SSE parser: feed it text as it arrives, in chunks split anywhere. */
export interface SseParser {
  /** Parses what `text` completes and returns the events it dispatched, in order. */
  push(text: string): SseMessage[];
  /** The stream ended: an event without its blank line is dropped. */
  end(): SseMessage[];
}

/**
 * Creates a parser following the WHATWG event-stream rules (eventsource-parser does the parsing): lines end in CRLF,
 * LF or CR; `:` lines are comments (our `: ping` heartbeats); a blank line dispatches an event with data.
 */
export function createSseParser(): SseParser {
  let out: SseMessage[] = [];
  const parser: EventSourceParser = createParser({
    onEvent(message) {
      out.push({
        event: message.event ?? 'message',
        data: message.data,
        ...(message.id ? { id: message.id } : {}),
      });
    },
  });
  const take = (): SseMessage[] => {
    const taken = out;
    out = [];
    return taken;
  };
  return {
    push(text) {
      parser.feed(text);
      return take();
    },
    end() {
      parser.reset();
      return take();
    },
  };
}

/** Reads an SSE byte stream as it arrives (UTF-8 characters split across chunks are kept whole). */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder('utf-8');
  const parser = createSseParser();
  for await (const chunk of body) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}
