import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LocalQueue, startLocalQueue } from '../support/queue-standin';

const queues: LocalQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
});

function queue(consumer: (records: SQSRecord[]) => Promise<SQSBatchResponse>, batchSize = 1): LocalQueue {
  const started = startLocalQueue({
    visibilityTimeoutMs: 40,
    maxReceiveCount: 3,
    consumer,
    batchSize,
  });
  queues.push(started);
  return started;
}

const ok = async (): Promise<SQSBatchResponse> => ({ batchItemFailures: [] });

describe('local queue stand-in (SQS + redrive + event source mapping)', () => {
  it('schedules no wake-up while it has nothing to deliver (an idle local server costs no CPU)', async () => {
    vi.useFakeTimers();
    try {
      const q = queue(ok);
      expect(vi.getTimerCount()).toBe(0);

      q.sendRaw('one');
      await vi.runAllTimersAsync();

      expect(q.stats()).toMatchObject({ deleted: 1, waiting: 0 });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('delivers a message once and deletes it after success', async () => {
    const seen: string[] = [];
    const q = queue(async (records) => {
      seen.push(...records.map((record) => record.body));
      return ok();
    });

    q.sendRaw('hello');
    await q.drained(2_000);

    expect(seen).toEqual(['hello']);
    expect(q.stats()).toMatchObject({ sent: 1, received: 1, deleted: 1, waiting: 0 });
  });

  it('redelivers a failed message after the visibility timeout with a higher receive count, then dead-letters it', async () => {
    const counts: string[] = [];
    const q = queue(async (records) => {
      counts.push(...records.map((record) => record.attributes.ApproximateReceiveCount));
      return { batchItemFailures: records.map((record) => ({ itemIdentifier: record.messageId })) };
    });

    const id = q.sendRaw('poison');
    await q.drained(2_000);

    expect(counts).toEqual(['1', '2', '3']);
    expect(q.deadLetters()).toEqual([{ messageId: id, body: 'poison', receiveCount: 3 }]);
  });

  it('treats a consumer that throws as a failure of the whole batch', async () => {
    let calls = 0;
    const q = queue(async () => {
      calls += 1;
      if (calls === 1) throw new Error('crashed');
      return ok();
    });

    q.sendRaw('again');
    await q.drained(2_000);

    expect(calls).toBe(2);
    expect(q.deadLetters()).toEqual([]);
  });

  it('deletes only the records a partial batch failure does not name', async () => {
    const attempts = new Map<string, number>();
    const q = queue(async (records) => {
      for (const record of records) attempts.set(record.body, (attempts.get(record.body) ?? 0) + 1);
      return {
        batchItemFailures: records
          .filter((record) => record.body === 'bad')
          .map((record) => ({ itemIdentifier: record.messageId })),
      };
    }, 10);

    q.sendRaw('good');
    q.sendRaw('bad');
    await q.drained(2_000);

    expect(Object.fromEntries(attempts)).toEqual({ good: 1, bad: 3 });
    expect(q.deadLetters().map((letter) => letter.body)).toEqual(['bad']);
  });

  it('receives a message again when the consumer outlives the visibility timeout', async () => {
    let calls = 0;
    const q = queue(async () => {
      calls += 1;
      if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 120));
      return ok();
    });

    q.sendRaw('slow');
    await q.drained(2_000);

    expect(calls).toBeGreaterThanOrEqual(2);
    expect(q.stats().deleted).toBe(1);
  });
});
