import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { AddSubscriptionOutcome, Subscription, SubscriptionResult, SubscriptionStore } from './ports';

/**
 * The DynamoDB subscription store (AUTO_REVIEW_TABLE). Items:
 * - pk `REPO#<owner/name>`, sk `SUB#<userId>`: one subscription; `user_pk` = `USER#<userId>` feeds the `byUser` index.
 * Every write is one conditional single-item write, so dynalite and DynamoDB Local serve it as DynamoDB does.
 */

/** The per-user index: partition `user_pk`, sort `pk` (a user's subscriptions, by repo). */
export const BY_USER_INDEX = 'byUser';

const REPO_PREFIX = 'REPO#';
const SUB_PREFIX = 'SUB#';
const USER_PREFIX = 'USER#';

type Item = Record<string, AttributeValue>;

export interface SubscriptionStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** AUTO_REVIEW_TABLE: keys `pk`/`sk`, index `byUser` on `user_pk`/`pk`, TTL attribute `expires_at`. */
  tableName: string;
}

/** `owner/name` as deliveries are matched on: GitHub names are case-insensitive. */
export function normalizeRepo(repo: string): string {
  return repo.trim().toLowerCase();
}

/** The key of one user's subscription to one repo: the user id is in the key, so nobody addresses another's. */
export function subscriptionKey(userId: string, repo: string): Item {
  return { pk: { S: `${REPO_PREFIX}${normalizeRepo(repo)}` }, sk: { S: `${SUB_PREFIX}${userId}` } };
}

const s = z.object({ S: z.string() });

const resultSchema = z.object({
  at: z.string(),
  outcome: z.enum(['posted', 'no_changes', 'skipped', 'failed']),
  pullNumber: z.number().int().positive(),
  headSha: z.string().optional(),
  reviewUrl: z.string().optional(),
  detail: z.string().optional(),
});

/** A stored item, checked on the way out: a malformed item is a bug worth an error, not a silent default. */
const itemSchema = z.object({
  pk: s,
  sk: s,
  repo: s,
  user_id: s,
  hook_id: z.object({ N: z.string().regex(/^\d{1,20}$/) }),
  drafts: z.object({ BOOL: z.boolean() }),
  shared: z.object({ BOOL: z.boolean() }),
  status: z.object({ S: z.enum(['active', 'broken']) }),
  broken_reason: s.optional(),
  created_at: s,
  /** JSON of a SubscriptionResult. */
  last_result: s.optional(),
});

/**
 * The DynamoDB {@link SubscriptionStore}. `add` reads the repo's partition, writes the caller's item conditionally,
 * and then reads the partition again: two users subscribing the same repo at the same moment both see both items,
 * and the later one (by creation time, then user id) withdraws, so exclusivity holds without transactions.
 */
export function createSubscriptionStore(options: SubscriptionStoreOptions): SubscriptionStore {
  const { client, tableName } = options;

  const listForRepo = async (repo: string): Promise<Subscription[]> => {
    const items = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sub)',
      ExpressionAttributeValues: {
        ':pk': { S: `${REPO_PREFIX}${normalizeRepo(repo)}` },
        ':sub': { S: SUB_PREFIX },
      },
      // Read right after our own writes (add's second look, the receiver after a subscribe).
      ConsistentRead: true,
    });
    return items.map(fromItem);
  };

  const updateIfPresent = async (
    userId: string,
    repo: string,
    update: { expression: string; values: Item },
  ): Promise<void> => {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: subscriptionKey(userId, repo),
          UpdateExpression: update.expression,
          ExpressionAttributeValues: update.values,
          ...(update.expression.includes('#status')
            ? { ExpressionAttributeNames: { '#status': 'status' } }
            : {}),
          // Removed meanwhile: nothing to mark (and never create a half item).
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  };

  return {
    async add(subscription) {
      const wanted: Subscription = { ...subscription, repo: normalizeRepo(subscription.repo) };
      const before = await listForRepo(wanted.repo);
      const own = before.find((existing) => existing.userId === wanted.userId);
      if (own) return { kind: 'exists', subscription: own };
      if (conflicts(wanted, before)) return { kind: 'held_by_other' };
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: toItem(wanted),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The same user subscribed concurrently: theirs is the one.
        const mine = (await listForRepo(wanted.repo)).find((existing) => existing.userId === wanted.userId);
        if (mine) return { kind: 'exists', subscription: mine };
        throw error;
      }
      const after = await listForRepo(wanted.repo);
      const others = after.filter((existing) => existing.userId !== wanted.userId);
      if (others.some((other) => conflicts(wanted, [other]) && precedes(other, wanted))) {
        await client.send(
          new DeleteItemCommand({ TableName: tableName, Key: subscriptionKey(wanted.userId, wanted.repo) }),
        );
        return { kind: 'held_by_other' };
      }
      return { kind: 'created', subscription: wanted } satisfies AddSubscriptionOutcome;
    },

    async remove(userId, repo) {
      const result = await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: subscriptionKey(userId, repo),
          ReturnValues: 'ALL_OLD',
        }),
      );
      return result.Attributes ? fromItem(result.Attributes) : undefined;
    },

    async listForUser(userId) {
      const items = await queryAll(client, {
        TableName: tableName,
        IndexName: BY_USER_INDEX,
        KeyConditionExpression: 'user_pk = :user AND begins_with(pk, :repo)',
        ExpressionAttributeValues: { ':user': { S: `${USER_PREFIX}${userId}` }, ':repo': { S: REPO_PREFIX } },
      });
      return items.map(fromItem).sort((a, b) => a.repo.localeCompare(b.repo));
    },

    listForRepo,

    async markBroken(userId, repo, reason) {
      await updateIfPresent(userId, repo, {
        expression: 'SET #status = :broken, broken_reason = :reason',
        values: { ':broken': { S: 'broken' }, ':reason': { S: reason.slice(0, 500) } },
      });
    },

    async recordResult(userId, repo, result) {
      await updateIfPresent(userId, repo, {
        expression: 'SET last_result = :result',
        values: { ':result': { S: JSON.stringify(resultSchema.parse(result)) } },
      });
    },
  };
}

/** Whether `wanted` may not sit beside `others`: any other subscriber, unless both sides chose `shared`. */
function conflicts(wanted: Subscription, others: Subscription[]): boolean {
  return others.some((other) => !(other.options.shared && wanted.options.shared));
}

/** A total order on subscriptions of one repo, so both sides of a race agree on who was first. */
function precedes(a: Subscription, b: Subscription): boolean {
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.userId < b.userId);
}

async function queryAll(
  client: Pick<DynamoDBClient, 'send'>,
  input: ConstructorParameters<typeof QueryCommand>[0],
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

function toItem(subscription: Subscription): Item {
  const item: Item = {
    ...subscriptionKey(subscription.userId, subscription.repo),
    user_pk: { S: `${USER_PREFIX}${subscription.userId}` },
    repo: { S: subscription.repo },
    user_id: { S: subscription.userId },
    hook_id: { N: String(subscription.hookId) },
    drafts: { BOOL: subscription.options.drafts },
    shared: { BOOL: subscription.options.shared },
    status: { S: subscription.status },
    created_at: { S: subscription.createdAt },
  };
  if (subscription.brokenReason !== undefined) item.broken_reason = { S: subscription.brokenReason };
  if (subscription.lastResult !== undefined) {
    item.last_result = { S: JSON.stringify(resultSchema.parse(subscription.lastResult)) };
  }
  return item;
}

function fromItem(raw: Item): Subscription {
  const item = itemSchema.parse(raw);
  const subscription: Subscription = {
    repo: item.repo.S,
    userId: item.user_id.S,
    hookId: Number(item.hook_id.N),
    options: { drafts: item.drafts.BOOL, shared: item.shared.BOOL },
    status: item.status.S,
    createdAt: item.created_at.S,
  };
  if (item.broken_reason) subscription.brokenReason = item.broken_reason.S;
  if (item.last_result) {
    subscription.lastResult = resultSchema.parse(JSON.parse(item.last_result.S)) as SubscriptionResult;
  }
  return subscription;
}
