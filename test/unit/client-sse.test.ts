import { describe, expect, it } from 'vitest';
import { createSseParser, readSse, type SseMessage } from '../../bin/client/sse';

const STREAM =
  ': ping\n\n' +
  'data: {"type":"session","session_id":"s1"}\n\n' +
  'data: {"type":"token","content":"héllo 👋"}\r\n\r\n' +
  ': ping\r\r' +
  'event: custom\rid: 7\rdata: line one\rdata:line two\r\r' +
  'data: {"type":"done"}\n\n';

// eventsource-parser reports an `id` on the event that carries it only (we never reconnect, so never need more).
const EXPECTED: SseMessage[] = [
  { event: 'message', data: '{"type":"session","session_id":"s1"}' },
  { event: 'message', data: '{"type":"token","content":"héllo 👋"}' },
  { event: 'custom', data: 'line one\nline two', id: '7' },
  { event: 'message', data: '{"type":"done"}' },
];

function parseInChunks(text: string, cuts: number[]): SseMessage[] {
  const parser = createSseParser();
  const out: SseMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  out.push(...parser.end());
  return out;
}

async function* bytes(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

describe('SSE parser', () => {
  it('parses a whole stream, ignoring comments and pings', () => {
    expect(parseInChunks(STREAM, [])).toEqual(EXPECTED);
  });

  it('gives the same events however the text is split into two chunks', () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(parseInChunks(STREAM, [cut]), `cut at ${cut}`).toEqual(EXPECTED);
    }
  });

  it('gives the same events when fed one character at a time', () => {
    const cuts = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);

    expect(parseInChunks(STREAM, cuts)).toEqual(EXPECTED);
  });

  it('counts a CRLF split across chunks as one line ending', () => {
    const parser = createSseParser();

    const first = parser.push('data: a\r');
    const second = parser.push('\n\r\n');

    expect([...first, ...second]).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('drops an event the stream cut off before its blank line', () => {
    expect(parseInChunks('data: one\n\ndata: partial', [])).toEqual([{ event: 'message', data: 'one' }]);
  });

  it('keeps multi-byte characters split across byte chunks', async () => {
    const encoded = new TextEncoder().encode(STREAM);
    const chunks = Array.from({ length: encoded.length }, (_, i) => encoded.subarray(i, i + 1));
    const out: SseMessage[] = [];

    for await (const message of readSse(bytes(chunks))) out.push(message);

    expect(out).toEqual(EXPECTED);
  });
});
