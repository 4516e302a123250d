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
  /** The stream ended: a lone trailing `\r` still ends its line; an event without its blank line is dropped. */
  end(): SseMessage[];
}

/**
 * Creates a parser following the WHATWG event-stream rules: lines end in CRLF, LF or CR (a CRLF split across two
 * chunks counts once); `:` lines are comments (our `: ping` heartbeats); an empty line dispatches the event when it
 * has data; one space after the colon is dropped.
 */
export function createSseParser(): SseParser {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;

  const line = (text: string, out: SseMessage[]): void => {
    if (text === '') {
      if (data.length > 0)
        out.push({ event: event || 'message', data: data.join('\n'), ...(id ? { id } : {}) });
      data = [];
      event = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\0')) id = value;
    // `retry` and unknown fields are ignored: the client does not reconnect on its own.
  };

  const drain = (final: boolean): SseMessage[] => {
    const out: SseMessage[] = [];
    for (;;) {
      const match = /[\r\n]/.exec(buffer);
      if (!match) break;
      const at = match.index;
      // A CR at the very end may be the first half of a CRLF still in flight.
      if (buffer[at] === '\r' && at === buffer.length - 1 && !final) break;
      const width = buffer[at] === '\r' && buffer[at + 1] === '\n' ? 2 : 1;
      line(buffer.slice(0, at), out);
      buffer = buffer.slice(at + width);
    }
    return out;
  };

  return {
    push(text) {
      buffer += text;
      return drain(false);
    },
    end() {
      const out = drain(true);
      buffer = '';
      data = [];
      event = '';
      return out;
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
