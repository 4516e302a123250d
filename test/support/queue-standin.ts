import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { AutoReviewJob } from '../../lambdas/autoreview/ports';
import type { JobQueue } from '../../lambdas/autoreview/queue';

/**
 * An in-process stand-in for an SQS queue with a redrive policy and a Lambda event source mapping in front of its
 * consumer: the semantics the auto-review path relies on, so the local server and tests exercise them.
 * - A received message is invisible for `visibilityTimeoutMs`; if the consumer has not succeeded by then (failed,
 *   threw, or is still working) it is received again, with `ApproximateReceiveCount` one higher.
 * - A message received `maxReceiveCount` times that comes round once more moves to the dead-letter queue instead.
 * - The consumer answers with `batchItemFailures` (ReportBatchItemFailures): the others are deleted; a throw fails
 *   the whole batch.
 * The poller wakes only when there is something to do (a send, a finished batch, the next message turning visible
 * again), so an idle queue, like an idle `npm run dev`, costs no CPU.
 */
export interface LocalQueueOptions {
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  /** The event source mapping's handler: called with up to `batchSize` records at a time. */
  consumer: (records: SQSRecord[]) => Promise<SQSBatchResponse>;
  batchSize?: number;
  /** Batches in flight at once (the mapping's maximum concurrency). Default 4. */
  concurrency?: number;
}

/** A message that went to the dead-letter queue. */
export interface DeadLetter {
  messageId: string;
  body: string;
  receiveCount: number;
}

export interface LocalQueue extends JobQueue {
  /** Sends any body (e.g. a poison message that is not a job). Returns its message id. */
  sendRaw(body: string): string;
  deadLetters(): DeadLetter[];
  /** Messages sent, receives made (redeliveries included), messages deleted after success. */
  stats(): { sent: number; received: number; deleted: number; waiting: number; inFlight: number };
  /** Resolves once every message has been deleted or dead-lettered and no batch is running. */
  drained(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface Message {
  messageId: string;
  body: string;
  receiveCount: number;
  visibleAt: number;
  /** The receipt of the latest receive: only that receive's success deletes the message. */
  receipt?: string;
  sentAt: number;
}

export function startLocalQueue(options: LocalQueueOptions): LocalQueue {
  const batchSize = options.batchSize ?? 1;
  const concurrency = options.concurrency ?? 4;
  const messages = new Map<string, Message>();
  const dead: DeadLetter[] = [];
  const counters = { sent: 0, received: 0, deleted: 0 };
  let running = 0;
  let closed = false;
  // The one pending wake-up of the poller and when it fires (Infinity: none).
  let wake: NodeJS.Timeout | undefined;
  let wakeAt = Number.POSITIVE_INFINITY;
  const pumpAt = (at: number) => {
    if (closed || at >= wakeAt) return;
    clearTimeout(wake);
    wakeAt = at;
    wake = setTimeout(
      () => {
        wake = undefined;
        wakeAt = Number.POSITIVE_INFINITY;
        pump();
      },
      Math.max(0, at - Date.now()),
    );
    wake.unref();
  };
  const idleWaiters: Array<() => void> = [];

  const notifyIfIdle = () => {
    if (messages.size === 0 && running === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const enqueue = (body: string): string => {
    const messageId = randomUUID();
    messages.set(messageId, { messageId, body, receiveCount: 0, visibleAt: 0, sentAt: Date.now() });
    counters.sent += 1;
    pumpAt(Date.now());
    return messageId;
  };

  const receiveBatch = (): Array<{ message: Message; record: SQSRecord }> => {
    const now = Date.now();
    const batch: Array<{ message: Message; record: SQSRecord }> = [];
    for (const message of messages.values()) {
      if (batch.length >= batchSize) break;
      if (message.visibleAt > now) continue;
      if (message.receiveCount >= options.maxReceiveCount) {
        // The redrive policy: received too often, so it moves on instead of being received again.
        messages.delete(message.messageId);
        dead.push({ messageId: message.messageId, body: message.body, receiveCount: message.receiveCount });
        continue;
      }
      message.receiveCount += 1;
      message.visibleAt = now + options.visibilityTimeoutMs;
      message.receipt = randomUUID();
      counters.received += 1;
      batch.push({ message, record: toRecord(message) });
    }
    return batch;
  };

  const pump = () => {
    if (closed) return;
    while (running < concurrency) {
      const batch = receiveBatch();
      if (batch.length === 0) break;
      running += 1;
      const receipts = new Map(batch.map(({ message }) => [message.messageId, message.receipt]));
      void options
        .consumer(batch.map(({ record }) => record))
        .then((response) => new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier)))
        .catch(() => new Set(batch.map(({ message }) => message.messageId)))
        .then((failed) => {
          for (const { message } of batch) {
            const current = messages.get(message.messageId);
            // Failed: stays invisible until its timeout. Received again meanwhile: that receive decides.
            if (failed.has(message.messageId) || current?.receipt !== receipts.get(message.messageId))
              continue;
            messages.delete(message.messageId);
            counters.deleted += 1;
          }
        })
        .finally(() => {
          running -= 1;
          pumpAt(Date.now());
          notifyIfIdle();
        });
    }
    // Messages in flight (or failed) turn visible again at their timeout: wake up then.
    let next = Number.POSITIVE_INFINITY;
    for (const message of messages.values()) next = Math.min(next, message.visibleAt);
    if (next !== Number.POSITIVE_INFINITY && running < concurrency) pumpAt(Math.max(next, Date.now() + 1));
    notifyIfIdle();
  };

  return {
    async send(jobs: AutoReviewJob[]) {
      if (closed) throw new Error('The local queue is closed');
      for (const job of jobs) enqueue(JSON.stringify(job));
    },
    sendRaw: enqueue,
    deadLetters: () => [...dead],
    stats: () => ({ ...counters, waiting: messages.size, inFlight: running }),
    drained: (timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const timeout = setTimeout(
          () => reject(new Error(`The local queue did not drain within ${timeoutMs} ms`)),
          timeoutMs,
        );
        idleWaiters.push(() => {
          clearTimeout(timeout);
          resolve();
        });
        notifyIfIdle();
      }),
    async close() {
      closed = true;
      clearTimeout(wake);
    },
  };

  function toRecord(message: Message): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: message.receipt ?? '',
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'LOCAL',
        ApproximateFirstReceiveTimestamp: String(message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-southeast-2:000000000000:local-auto-review',
      awsRegion: 'ap-southeast-2',
    };
  }
}
