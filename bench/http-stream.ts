import { Agent, request } from 'node:http';

/** Timings of one streamed chat request, in milliseconds from the moment it was sent. */
export interface StreamTiming {
  status: number;
  firstByteMs: number;
  firstTokenMs: number;
  doneMs: number;
  /** The stream ended with a `done` event and no `error` event. */
  ok: boolean;
  /** The `code` of every `error` event, in order (e.g. `storage_error` when the turn's save failed). */
  errorCodes: string[];
  /** Every `token` content, with the client's receive time (epoch ms, µs precision). */
  tokens: Array<{ content: string; receivedAt: number }>;
}

const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

const nowEpoch = () => performance.timeOrigin + performance.now();

/** Posts one chat message and times the stream with a raw HTTP client (no fetch overhead in the numbers). */
export function timeChat(baseUrl: string, body: unknown): Promise<StreamTiming> {
  return new Promise((resolve) => {
    const started = performance.now();
    const timing: StreamTiming = {
      status: 0,
      firstByteMs: Number.NaN,
      firstTokenMs: Number.NaN,
      doneMs: Number.NaN,
      ok: false,
      errorCodes: [],
      tokens: [],
    };
    let buffer = '';
    let sawError = false;
    let sawDone = false;
    const req = request(
      new URL('/chat/stream', baseUrl),
      { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        timing.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (Number.isNaN(timing.firstByteMs)) timing.firstByteMs = performance.now() - started;
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!frame.startsWith('data: ')) continue;
            const event = JSON.parse(frame.slice(6)) as { type: string; content?: string; code?: string };
            if (event.type === 'token') {
              if (Number.isNaN(timing.firstTokenMs)) timing.firstTokenMs = performance.now() - started;
              timing.tokens.push({ content: event.content ?? '', receivedAt: nowEpoch() });
            } else if (event.type === 'error') {
              sawError = true;
              timing.errorCodes.push(event.code ?? '');
            } else if (event.type === 'done') sawDone = true;
          }
        });
        res.on('end', () => {
          timing.doneMs = performance.now() - started;
          timing.ok = timing.status === 200 && sawDone && !sawError;
          resolve(timing);
        });
        res.on('error', () => resolve({ ...timing, ok: false }));
      },
    );
    // A connection error is one failed request in the table, not the end of the benchmark.
    req.on('error', () => resolve({ ...timing, ok: false }));
    req.end(JSON.stringify(body));
  });
}

/** Runs `total` requests with at most `concurrency` in flight at once. */
export async function runConcurrent<T>(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
) {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}
