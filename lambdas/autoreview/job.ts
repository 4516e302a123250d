import * as z from 'zod';
import { AUTO_REVIEW_ACTIONS, type AutoReviewJob } from './ports';

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-character commit SHA');

/** An {@link AutoReviewJob} as it travels on the queue: checked again by the worker before anything is done. */
export const autoReviewJobSchema = z.strictObject({
  deliveryId: z.string().min(1).max(100),
  repo: z
    .string()
    .max(200)
    .regex(/^[a-z0-9_.-]+\/[a-z0-9_.-]+$/, 'must be a lower-case owner/name'),
  pullNumber: z.number().int().positive(),
  action: z.enum(AUTO_REVIEW_ACTIONS),
  headSha: sha,
  beforeSha: sha.optional(),
  draft: z.boolean(),
  subscriberUserId: z.string().min(1).max(256),
}) satisfies z.ZodType<AutoReviewJob>;

/**
 * Reads a queue message body as a job.
 * @throws Error with zod's reasons when the body is not JSON or not a job (a poison message: retried, then DLQ)
 */
export function parseAutoReviewJob(body: string): AutoReviewJob {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('The queue message is not JSON');
  }
  const parsed = autoReviewJobSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `The queue message is not an auto-review job: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`,
    );
  }
  return parsed.data;
}
