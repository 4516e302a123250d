import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AutoReviewJob } from './ports';

/** Where the webhook receiver hands jobs to the worker (SQS in AWS, an in-process stand-in locally). */
export interface JobQueue {
  /** Enqueues every job or throws (a partial failure throws too: the caller treats the delivery as not accepted). */
  send(jobs: AutoReviewJob[]): Promise<void>;
}

/** SQS accepts at most ten messages per SendMessageBatch. */
const SQS_BATCH = 10;

/** The SQS {@link JobQueue}: SendMessageBatch in tens (covered by `sqs:SendMessage`), message body = the job's JSON. */
export function createSqsJobQueue(options: { client: Pick<SQSClient, 'send'>; queueUrl: string }): JobQueue {
  return {
    async send(jobs) {
      for (let start = 0; start < jobs.length; start += SQS_BATCH) {
        const batch = jobs.slice(start, start + SQS_BATCH);
        const result = await options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: batch.map((job, i) => ({ Id: String(i), MessageBody: JSON.stringify(job) })),
          }),
        );
        const failed = result.Failed ?? [];
        if (failed.length > 0) {
          // Codes only: SQS's messages may echo request details.
          throw new Error(
            `SQS refused ${failed.length} of ${batch.length} jobs (${failed.map((f) => f.Code).join(', ')})`,
          );
        }
      }
    },
  };
}
