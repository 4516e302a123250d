import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ClientGoneError, createSseWriter } from '../../lambdas/chat/sse';

/** A response stream that keeps what is written. */
function sink(): { stream: Writable; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, written };
}

describe('createSseWriter: noticing a client that went away', () => {
  it('aborts its signal when the stream closes before the writer closed it', async () => {
    const { stream } = sink();
    const sse = createSseWriter(stream, 0);

    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));

    expect(sse.signal.aborted).toBe(true);
    expect(sse.signal.reason).toBeInstanceOf(ClientGoneError);
  });

  it('aborts its signal when the stream errors, and drops later events', async () => {
    const { stream, written } = sink();
    const sse = createSseWriter(stream, 0);

    stream.destroy(new Error('runtime request failed'));
    await new Promise((resolve) => setImmediate(resolve));
    sse.emit({ type: 'done' });

    expect(sse.signal.aborted).toBe(true);
    expect(written).toEqual([]);
  });

  it('does not abort when the stream ends normally', async () => {
    const { stream, written } = sink();
    const sse = createSseWriter(stream, 0);

    sse.emit({ type: 'done' });
    await sse.close();
    await new Promise((resolve) => setImmediate(resolve));

    expect(sse.signal.aborted).toBe(false);
    expect(written).toEqual(['data: {"type":"done"}\n\n']);
  });
});

describe('createSseWriter: coalescing a burst', () => {
  /** A response stream that records each write it receives, as the runtime's stream would send it. */
  function batchingSink(): { stream: Writable; writes: string[] } {
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes.push(chunk.toString('utf8'));
        callback();
      },
      writev(chunks, callback) {
        writes.push(chunks.map(({ chunk }) => String(chunk)).join(''));
        callback();
      },
    });
    return { stream, writes };
  }

  it('sends the events of one tick as one write, before any I/O runs', async () => {
    const { stream, writes } = batchingSink();
    const sse = createSseWriter(stream, 0);

    sse.emit({ type: 'token', content: 'a' });
    sse.emit({ type: 'token', content: 'b' });
    sse.emit({ type: 'token', content: 'c' });
    await new Promise((resolve) => setImmediate(resolve));

    expect(writes).toEqual([
      'data: {"type":"token","content":"a"}\n\ndata: {"type":"token","content":"b"}\n\ndata: {"type":"token","content":"c"}\n\n',
    ]);
  });

  it('does not hold an event back for a later one', async () => {
    const { stream, writes } = batchingSink();
    const sse = createSseWriter(stream, 0);

    sse.emit({ type: 'token', content: 'first' });
    await new Promise((resolve) => setImmediate(resolve));
    const afterFirstTick = [...writes];
    sse.emit({ type: 'token', content: 'second' });
    await new Promise((resolve) => setImmediate(resolve));

    expect(afterFirstTick).toEqual(['data: {"type":"token","content":"first"}\n\n']);
    expect(writes).toHaveLength(2);
  });
});
