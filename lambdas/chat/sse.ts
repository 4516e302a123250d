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
}

/** Encodes one event as an SSE frame: `data: <json>\n\n` (JSON has no raw newlines, so one data line suffices). */
export function encodeEvent(event: ChatEvent): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}

/**
 * Wraps a response stream whose status and headers are already set.
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
  const write = (chunk: string) => {
    if (closed || stream.destroyed) return;
    stream.write(chunk);
    timer?.refresh();
  };
  return {
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
