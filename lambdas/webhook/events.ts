import * as z from 'zod';
import { AUTO_REVIEW_ACTIONS, type AutoReviewAction } from '../autoreview/ports';
import { normalizeRepo } from '../autoreview/subscriptions';

/** What a verified delivery asks of auto-review. */
export type DeliveryIntent =
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: string }
  | {
      kind: 'review';
      /** Lower-cased `owner/name` of the base repository (the one subscribed). */
      repo: string;
      pullNumber: number;
      action: AutoReviewAction;
      headSha: string;
      beforeSha?: string;
      draft: boolean;
    };

/** The payload is not what GitHub sends for this event: the message says which field. */
export class DeliveryPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryPayloadError';
  }
}

const sha = z.string().regex(/^[0-9a-f]{40}$/);

/** The parts of a `pull_request` delivery auto-review reads; everything else is ignored (and not kept). */
const pullRequestSchema = z.object({
  action: z.string().max(64),
  number: z.number().int().positive(),
  /** `synchronize` only: the head before the push. */
  before: sha.optional(),
  pull_request: z.object({
    number: z.number().int().positive(),
    state: z.string().max(32),
    draft: z.boolean().optional(),
    head: z.object({ sha }),
  }),
  repository: z.object({
    full_name: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
  }),
});

const HANDLED = new Set<string>(AUTO_REVIEW_ACTIONS);

/**
 * Decides what a verified delivery asks for, from its `X-GitHub-Event` name and parsed JSON body. Only
 * `pull_request` opened / reopened / ready_for_review / synchronize on an open PR is reviewed; `ping` is answered;
 * anything else is ignored with a reason.
 * @throws DeliveryPayloadError when a `pull_request` body lacks what GitHub always sends
 */
export function classifyDelivery(event: string, payload: unknown): DeliveryIntent {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'pull_request')
    return { kind: 'ignored', reason: `event "${event.slice(0, 64)}" is not handled` };
  const parsed = pullRequestSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DeliveryPayloadError(
      `pull_request payload: ${issue?.path.join('.') || '(body)'} ${issue?.message ?? 'is invalid'}`,
    );
  }
  const delivery = parsed.data;
  if (!HANDLED.has(delivery.action)) {
    return { kind: 'ignored', reason: `pull_request action "${delivery.action}" is not handled` };
  }
  if (delivery.pull_request.state !== 'open')
    return { kind: 'ignored', reason: 'the pull request is not open' };
  return {
    kind: 'review',
    repo: normalizeRepo(delivery.repository.full_name),
    pullNumber: delivery.pull_request.number,
    action: delivery.action as AutoReviewAction,
    headSha: delivery.pull_request.head.sha,
    ...(delivery.action === 'synchronize' && delivery.before ? { beforeSha: delivery.before } : {}),
    draft: delivery.pull_request.draft ?? false,
  };
}
