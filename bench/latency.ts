import { runConcurrent, type StreamTiming, timeChat } from './http-stream';
import { startBenchServer } from './spawn-server';
import { percentile } from './stats';

export interface Spread {
  p50: number;
  p95: number;
}

export interface ConcurrencyResult {
  concurrency: number;
  requests: number;
  errors: number;
  /**
   * Turns whose save failed: a `storage_error` or `dependency_timeout` event (a reset connection surfaces as the SDK's
   * TimeoutError), or a 5xx answer. The bench's model never fails, so these are DynamoDB's.
   */
  failedSaves: number;
  /** Why requests failed: `error` event codes, `http_<status>`, or `no_done` (the stream broke off). */
  failures: Record<string, number>;
  firstByte: Spread;
  firstToken: Spread;
  done: Spread;
}

const failedSave = (timing: StreamTiming) =>
  timing.status >= 500 ||
  timing.errorCodes.some((code) => code === 'storage_error' || code === 'dependency_timeout');

function countFailures(timings: StreamTiming[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const timing of timings) {
    if (timing.ok) continue;
    const reasons =
      timing.status !== 200
        ? [`http_${timing.status}`]
        : timing.errorCodes.length > 0
          ? timing.errorCodes
          : ['no_done'];
    for (const reason of reasons) counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}

const spread = (values: number[]): Spread => ({ p50: percentile(values, 50), p95: percentile(values, 95) });

/** (a) Request → first byte / first token / done at each concurrency, with a model that answers at once. */
export async function measureConcurrency(levels: number[], samples: number): Promise<ConcurrencyResult[]> {
  const server = await startBenchServer('instant');
  try {
    await runConcurrent(20, 4, () => timeChat(server.url, { message: 'warm up' }));
    const results: ConcurrencyResult[] = [];
    for (const concurrency of levels) {
      const total = Math.max(samples, concurrency * 2);
      const timings = await runConcurrent(total, concurrency, () => timeChat(server.url, { message: 'hi' }));
      const good = timings.filter((timing) => timing.ok);
      results.push({
        concurrency,
        requests: total,
        errors: total - good.length,
        failedSaves: timings.filter(failedSave).length,
        failures: countFailures(timings),
        firstByte: spread(good.map((timing) => timing.firstByteMs)),
        firstToken: spread(good.map((timing) => timing.firstTokenMs)),
        done: spread(good.map((timing) => timing.doneMs)),
      });
    }
    return results;
  } finally {
    await server.close();
  }
}

export interface RelayResult {
  deltas: number;
  p50: number;
  p95: number;
  max: number;
}

/**
 * (b) The stand-in stamps each delta with the time it writes the frame; the client subtracts that from the time it
 * parses the `token` event (two processes on one machine: the same system clock). Deltas are 2 ms apart so each
 * travels on its own.
 */
export async function measureRelay(deltas: number): Promise<RelayResult> {
  const perTurn = 50;
  const server = await startBenchServer('relay');
  try {
    await timeChat(server.url, { message: 'warm up' });
    const latencies: number[] = [];
    for (let sent = 0; sent < deltas; sent += perTurn) {
      const timing = await timeChat(server.url, { message: 'stream please' });
      for (const token of timing.tokens) {
        const stamp = Number(token.content.split('@')[1]);
        if (Number.isFinite(stamp)) latencies.push(token.receivedAt - stamp);
      }
    }
    return {
      deltas: latencies.length,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: percentile(latencies, 100),
    };
  } finally {
    await server.close();
  }
}
