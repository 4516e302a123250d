import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import {
  ActionConflictError,
  ActionExpiredError,
  ActionNotFoundError,
  type PendingWrite,
  type PendingWriteStore,
  type WriteTransition,
} from '../writes/ports';
import { querySessionItems } from './user-items';

export interface PendingWriteStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** PLANS_TABLE (keys `pk`/`sk`, TTL `expires_at`): withheld writes sit beside review plans under the user. */
  tableName: string;
  /** Epoch milliseconds; injectable so tests can pass the TTL. */
  now?: () => number;
}

type Item = Record<string, AttributeValue>;

const WRITE_PREFIX = 'WRITE#';
const STATUSES = ['pending', 'executing', 'completed', 'failed', 'cancelled'] as const;

/** The key: under the user's id, so nobody can address another user's withheld write. */
function writeKey(userId: string, actionId: string): Item {
  return { pk: { S: `USER#${userId}` }, sk: { S: `${WRITE_PREFIX}${actionId}` } };
}

const s = z.object({ S: z.string() });
const n = z.object({ N: z.string() });
const itemSchema = z.object({
  pk: s,
  sk: s,
  session_id: s,
  status: z.object({ S: z.enum(STATUSES) }),
  tool_name: s,
  tool_input: s,
  summary: s,
  created_at: s,
  updated_at: s,
  expires_at: n,
  outcome: s.optional(),
});

/**
 * The DynamoDB store of withheld writes. Every transition is one conditional UpdateItem (single-item writes only), so
 * two concurrent approvals cannot both run the write, and an expired write can never be approved.
 */
export function createPendingWriteStore(options: PendingWriteStoreOptions): PendingWriteStore {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  const nowSeconds = () => Math.floor(now() / 1000);
  const readItem = async (userId: string, actionId: string) =>
    (
      await client.send(
        new GetItemCommand({ TableName: tableName, Key: writeKey(userId, actionId), ConsistentRead: true }),
      )
    ).Item;

  return {
    async create(write) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: toItem(write),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async get(userId, actionId) {
      const item = await readItem(userId, actionId);
      if (item === undefined) throw new ActionNotFoundError(actionId);
      const write = fromItem(item);
      if (write.status === 'pending' && write.expiresAt <= nowSeconds())
        throw new ActionExpiredError(actionId);
      return write;
    },

    async listPending(userId, sessionId) {
      const items = await querySessionItems(client, tableName, {
        userId,
        prefix: WRITE_PREFIX,
        sessionId,
        statuses: ['pending'],
        nowSeconds: nowSeconds(),
      });
      return items.map(fromItem).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },

    async transition(userId, actionId, change) {
      const at = now();
      try {
        const result = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: writeKey(userId, actionId),
            ...buildUpdate(change, at),
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        if (result.Attributes === undefined)
          throw new Error(`Action ${actionId}: the update returned no item`);
        return fromItem(result.Attributes);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const current = error.Item ?? (await readItem(userId, actionId));
        if (current === undefined) throw new ActionNotFoundError(actionId);
        const write = fromItem(current);
        if (write.status === 'pending' && write.expiresAt <= Math.floor(at / 1000)) {
          throw new ActionExpiredError(actionId);
        }
        throw new ActionConflictError(actionId, write.status, write.outcome);
      }
    },
  };
}

function buildUpdate(change: WriteTransition, at: number) {
  if (change.from.length === 0) throw new Error('A write transition needs at least one "from" status');
  const values: Item = { ':to': { S: change.to }, ':updated': { S: new Date(at).toISOString() } };
  const sets = ['#status = :to', 'updated_at = :updated'];
  change.from.forEach((status, i) => {
    values[`:from${i}`] = { S: status };
  });
  // attribute_exists: an update must never create a write out of nothing.
  let condition = `attribute_exists(pk) AND #status IN (${change.from.map((_, i) => `:from${i}`).join(', ')})`;
  if (change.from.includes('pending')) {
    condition += ' AND expires_at > :now';
    values[':now'] = { N: String(Math.floor(at / 1000)) };
  }
  if (change.outcome !== undefined) {
    sets.push('outcome = :outcome');
    values[':outcome'] = { S: change.outcome };
  }
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: values,
  };
}

function toItem(write: PendingWrite): Item {
  const item: Item = {
    ...writeKey(write.userId, write.actionId),
    session_id: { S: write.sessionId },
    status: { S: write.status },
    tool_name: { S: write.toolName },
    tool_input: { S: JSON.stringify(write.toolInput ?? null) },
    summary: { S: write.summary },
    created_at: { S: write.createdAt },
    updated_at: { S: write.updatedAt },
    expires_at: { N: String(write.expiresAt) },
  };
  if (write.outcome !== undefined) item.outcome = { S: write.outcome };
  return item;
}

function fromItem(raw: Item): PendingWrite {
  const item = itemSchema.parse(raw);
  return {
    userId: item.pk.S.slice('USER#'.length),
    actionId: item.sk.S.slice(WRITE_PREFIX.length),
    sessionId: item.session_id.S,
    toolName: item.tool_name.S,
    toolInput: JSON.parse(item.tool_input.S),
    summary: item.summary.S,
    status: item.status.S,
    createdAt: item.created_at.S,
    updatedAt: item.updated_at.S,
    expiresAt: Number(item.expires_at.N),
    outcome: item.outcome?.S,
  };
}
