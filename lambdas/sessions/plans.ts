import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { PlanStatus } from '../agent/events';
import { PlanConflictError, PlanExpiredError, PlanNotFoundError } from '../review/errors';
import { LEGACY_LEASE_SECONDS, leaseExpiry, RUNNING_STATUSES } from '../review/lease';
import { planModelSchema } from '../review/plan';
import type { PlanStore, PlanTransition, StoredPlan } from '../review/ports';
import { querySessionItems } from './user-items';

export interface PlanStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** PLANS_TABLE: keys `pk`/`sk`, TTL attribute `expires_at` (epoch seconds). */
  tableName: string;
  /** Epoch milliseconds; injectable so tests can pass a plan's TTL. */
  now?: () => number;
}

type Item = Record<string, AttributeValue>;

const PLAN_PREFIX = 'PLAN#';
const STATUSES = ['pending', 'approved', 'executing', 'completed', 'failed', 'cancelled'] as const;

/** The partition key: a user's plans live under their id, so nobody can address another user's plan. */
export function planKey(userId: string, planId: string): Item {
  return { pk: { S: `USER#${userId}` }, sk: { S: `${PLAN_PREFIX}${planId}` } };
}

const s = z.object({ S: z.string() });
const n = z.object({ N: z.string() });

/** A stored item, checked on the way out: a malformed item is a bug worth an error, not a silent default. */
const itemSchema = z.object({
  pk: s,
  sk: s,
  session_id: s,
  status: z.object({ S: z.enum(STATUSES) }),
  plan: s,
  owner: s,
  repo: s,
  number: n,
  title: s,
  head_sha: s,
  created_at: s,
  updated_at: s,
  expires_at: n,
  review_url: s.optional(),
  failure_reason: s.optional(),
  lease_owner: s.optional(),
  lease_expires_at: n.optional(),
  /** JSON array: the path scope this plan was made with, when the user widened it for this review. */
  path_prefixes: s.optional(),
  /** JSON: the range the plan covers (lambdas/review/incremental.ts); absent = the whole PR. */
  review_range: s.optional(),
});

/** A stored plan's range, checked on the way back in. */
const rangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('incremental'), fromSha: z.string().regex(/^[0-9a-f]{40}$/) }),
  z.object({
    kind: z.literal('full'),
    reason: z.enum(['first_review', 'requested', 'force_push', 'too_many_changes']),
  }),
]);

/**
 * The DynamoDB plan store. Every transition is one conditional UpdateItem, so two concurrent approvals cannot both
 * win, an expired plan (TTL passed, item not yet deleted by DynamoDB) can never be approved, and a running plan can be
 * taken over only once its lease has lapsed; reads treat an expired plan as expired too. Single-item writes only (no
 * transactions), which dynalite and DynamoDB Local both serve.
 */
export function createPlanStore(options: PlanStoreOptions): PlanStore {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  const nowSeconds = () => Math.floor(now() / 1000);

  const readItem = async (userId: string, planId: string): Promise<Item | undefined> => {
    const result = await client.send(
      new GetItemCommand({ TableName: tableName, Key: planKey(userId, planId), ConsistentRead: true }),
    );
    return result.Item;
  };

  /** The session's unexpired plans in `statuses`, newest first. */
  const listByStatus = async (userId: string, sessionId: string, statuses: PlanStatus[]) => {
    const items = await querySessionItems(client, tableName, {
      userId,
      prefix: PLAN_PREFIX,
      sessionId,
      statuses,
      nowSeconds: nowSeconds(),
    });
    return items.map(fromItem).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  };

  return {
    async create(plan) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: toItem(plan),
          // Plan ids are random; the condition makes a collision an error instead of an overwrite.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async get(userId, planId) {
      const item = await readItem(userId, planId);
      if (item === undefined) throw new PlanNotFoundError(planId);
      const plan = fromItem(item);
      if (plan.expiresAt <= nowSeconds()) throw new PlanExpiredError(planId);
      return plan;
    },

    async listPending(userId, sessionId) {
      return listByStatus(userId, sessionId, ['pending']);
    },

    async listRunning(userId, sessionId) {
      return listByStatus(userId, sessionId, RUNNING_STATUSES);
    },

    async transition(userId, planId, change) {
      const at = now();
      const update = buildUpdate(change, at);
      try {
        const result = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: planKey(userId, planId),
            ...update,
            ReturnValues: 'ALL_NEW',
            // DynamoDB returns the current item with the failure (dynalite does not; see below).
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        if (result.Attributes === undefined) throw new Error(`Plan ${planId}: the update returned no item`);
        return fromItem(result.Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const current = error.Item ?? (await readItem(userId, planId));
        throw explainFailure(planId, current, Math.floor(at / 1000));
      }
    },
  };
}

/**
 * The UpdateItem expression for one transition: a status guard (plus a TTL guard when leaving `pending`, and the
 * owner's id when fenced by a lease), or-ed with the lapsed-lease guard when the transition may take over a stuck run.
 */
function buildUpdate(change: PlanTransition, at: number) {
  const lapsed = change.fromLapsed ?? [];
  if (change.from.length + lapsed.length === 0) {
    throw new Error('A plan transition needs at least one "from" status');
  }
  const nowSeconds = Math.floor(at / 1000);
  const names: Record<string, string> = { '#status': 'status' };
  const values: Item = { ':to': { S: change.to }, ':updated': { S: new Date(at).toISOString() } };
  const sets = ['#status = :to', 'updated_at = :updated'];
  const guards: string[] = [];
  if (change.from.length > 0) {
    change.from.forEach((status, i) => {
      values[`:from${i}`] = { S: status };
    });
    let guard = `#status IN (${change.from.map((_, i) => `:from${i}`).join(', ')})`;
    if (change.from.includes('pending')) {
      guard += ' AND expires_at > :now';
      values[':now'] = { N: String(nowSeconds) };
    }
    if (change.leaseOwner !== undefined) {
      guard += ' AND lease_owner = :owner';
      values[':owner'] = { S: change.leaseOwner };
    }
    guards.push(`(${guard})`);
  }
  if (lapsed.length > 0) {
    lapsed.forEach((status, i) => {
      values[`:lapsed${i}`] = { S: status };
    });
    values[':now'] = { N: String(nowSeconds) };
    // A plan from before leases has no lease_expires_at: its run is over once Lambda's hard limit has passed.
    values[':legacy'] = { S: new Date((nowSeconds - LEGACY_LEASE_SECONDS) * 1000).toISOString() };
    guards.push(
      `(#status IN (${lapsed.map((_, i) => `:lapsed${i}`).join(', ')}) AND expires_at > :now AND ` +
        '(lease_expires_at <= :now OR (attribute_not_exists(lease_expires_at) AND updated_at <= :legacy)))',
    );
  }
  const patch = change.patch ?? {};
  if (patch.reviewUrl !== undefined) {
    sets.push('review_url = :review_url');
    values[':review_url'] = { S: patch.reviewUrl };
  }
  if (patch.failureReason !== undefined) {
    sets.push('failure_reason = :failure_reason');
    values[':failure_reason'] = { S: patch.failureReason };
  }
  if (patch.expiresAt !== undefined) {
    sets.push('expires_at = :expires_at');
    values[':expires_at'] = { N: String(patch.expiresAt) };
  }
  if (patch.lease !== undefined) {
    sets.push('lease_owner = :lease_owner', 'lease_expires_at = :lease_expires_at');
    values[':lease_owner'] = { S: patch.lease.owner };
    values[':lease_expires_at'] = { N: String(patch.lease.expiresAt) };
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: guards.join(' OR '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Why a conditional transition failed, from the item as it is now. */
function explainFailure(planId: string, item: Item | undefined, nowSeconds: number): Error {
  if (item === undefined) return new PlanNotFoundError(planId);
  const plan = fromItem(item);
  if (plan.expiresAt <= nowSeconds) return new PlanExpiredError(planId);
  return new PlanConflictError(planId, plan.status, {
    reviewUrl: plan.reviewUrl,
    failureReason: plan.failureReason,
    updatedAt: plan.updatedAt,
    leaseExpiresAt: leaseExpiry(plan),
  });
}

function toItem(plan: StoredPlan): Item {
  const item: Item = {
    ...planKey(plan.userId, plan.planId),
    session_id: { S: plan.sessionId },
    status: { S: plan.status },
    plan: { S: JSON.stringify(plan.plan) },
    owner: { S: plan.ref.owner },
    repo: { S: plan.ref.repo },
    number: { N: String(plan.ref.number) },
    title: { S: plan.title },
    head_sha: { S: plan.headSha },
    created_at: { S: plan.createdAt },
    updated_at: { S: plan.updatedAt },
    expires_at: { N: String(plan.expiresAt) },
  };
  if (plan.reviewUrl !== undefined) item.review_url = { S: plan.reviewUrl };
  if (plan.failureReason !== undefined) item.failure_reason = { S: plan.failureReason };
  if (plan.lease !== undefined) {
    item.lease_owner = { S: plan.lease.owner };
    item.lease_expires_at = { N: String(plan.lease.expiresAt) };
  }
  if (plan.pathPrefixes !== undefined) item.path_prefixes = { S: JSON.stringify(plan.pathPrefixes) };
  if (plan.range !== undefined) item.review_range = { S: JSON.stringify(plan.range) };
  return item;
}

function fromItem(raw: Item): StoredPlan {
  const item = itemSchema.parse(raw);
  return {
    userId: item.pk.S.slice('USER#'.length),
    planId: item.sk.S.slice(PLAN_PREFIX.length),
    sessionId: item.session_id.S,
    status: item.status.S,
    plan: planModelSchema.parse(JSON.parse(item.plan.S)),
    ref: { owner: item.owner.S, repo: item.repo.S, number: Number(item.number.N) },
    title: item.title.S,
    headSha: item.head_sha.S,
    createdAt: item.created_at.S,
    updatedAt: item.updated_at.S,
    expiresAt: Number(item.expires_at.N),
    reviewUrl: item.review_url?.S,
    failureReason: item.failure_reason?.S,
    lease:
      item.lease_owner && item.lease_expires_at
        ? { owner: item.lease_owner.S, expiresAt: Number(item.lease_expires_at.N) }
        : undefined,
    ...(item.path_prefixes
      ? { pathPrefixes: z.array(z.string()).parse(JSON.parse(item.path_prefixes.S)) }
      : {}),
    ...(item.review_range ? { range: rangeSchema.parse(JSON.parse(item.review_range.S)) } : {}),
  };
}
