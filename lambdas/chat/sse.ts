import type { Writable } from 'node:stream';
import type { ChatEvent } from '../agent/events';

/** Response headers of every event stream. */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
} as const;

/** Writes chat events as Server-Sent Events, with heartbeat comments while idle. */
export interface SseWriter {
  emit(event: ChatEvent): void;
  /** Ends the stream once everything written has been flushed. Later emits are dropped. */
  close(): Promise<void>;
  /**
   * Aborted (with a {@link ClientGoneError}) once nobody reads the stream any more: it errored, a write failed, or it
   * closed before {@link SseWriter.close}. The turn runs under this signal, so it stops calling the model and GitHub.
   */
  readonly signal: AbortSignal;
}

/** The reader of an event stream went away before the stream ended. */
export class ClientGoneError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('The client closed the connection before the stream ended', options);
    this.name = 'ClientGoneError';
  }
}

/** Encodes one event as an SSE frame: `data: <json>\n\n` (JSON has no raw newlines, so one data line suffices). */
export function encodeEvent(event: ChatEvent): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}

/**
 * Wraps a response stream whose status and headers are already set. A client that disconnects shows up on the stream
 * as Lambda's runtime shows it (the stream errors or closes; a write fails) and aborts {@link SseWriter.signal}.
 * @param heartbeatMs idle time before a `: ping` comment keeps proxies and clients from timing out (0 disables)
 */
export function createSseWriter(stream: Writable, heartbeatMs: number): SseWriter {
  let closed = false;
  // One timer for the stream's life: each write pushes it back with refresh(), which allocates nothing per token.
  const timer =
    heartbeatMs > 0
      ? setTimeout(function ping() {
          write(': ping\n\n');
        }, heartbeatMs).unref()
      : undefined;
  const gone = new AbortController();
  const lost = (cause?: unknown) => {
    if (closed || gone.signal.aborted) return;
    clearTimeout(timer);
    gone.abort(new ClientGoneError(cause === undefined ? undefined : { cause }));
  };
  stream.on('error', lost);
  stream.once('close', () => lost());
  // One callback for every write (not a closure per token): a failed write means the client is gone.
  const written = (error?: Error | null) => {
    if (error) lost(error);
  };
  // Events written in one tick (a burst of deltas that arrived together, the last one and `done`) leave as one chunk:
  // the stream is corked at the first and uncorked once the tick's work is done, before any I/O, so nothing waits.
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  const write = (chunk: string) => {
    if (closed || gone.signal.aborted) return;
    if (stream.destroyed) return lost();
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    stream.write(chunk, written);
    timer?.refresh();
  };
  return {
    signal: gone.signal,
    emit: (event) => write(encodeEvent(event)),
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      clearTimeout(timer);
      return new Promise<void>((resolve) => {
        if (stream.destroyed) return resolve();
        stream.once('error', () => resolve());
        stream.end(() => resolve());
      });
    },
  };
}
