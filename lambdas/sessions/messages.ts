import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { ChatMessage } from '../agent/model';
import { fitMessage } from './fit';
import { repairHistory } from './history';

/** Chat history per user and session: one item per message, so a session never nears DynamoDB's 400 KB item limit. */
export interface SessionStore {
  /** Whether `sessionId` exists for this user (another user's session id simply does not). */
  exists(userId: string, sessionId: string): Promise<boolean>;
  /**
   * The newest messages that fit `budgetTokens`, oldest first, as a history Bedrock accepts: it starts at a user text
   * message, never separates a tool use from its result, and messages a failed write lost are repaired around (see
   * repairHistory). Cost depends on the budget, not the session's length.
   */
  loadRecent(userId: string, sessionId: string, budgetTokens: number): Promise<ChatMessage[]>;
  /**
   * Appends a turn's messages in order (none: just creates or touches the session) and refreshes its expiry. A message
   * too big for one item is stored with its largest tool results cut (see fitMessage), so a turn is never lost to
   * DynamoDB's 400 KB item limit.
   */
  append(userId: string, sessionId: string, messages: ChatMessage[]): Promise<void>;
}

export interface SessionStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  /** Days a session lives after its last activity (TTL attribute `expires_at`). */
  ttlDays: number;
  now?: () => number;
  /**
   * Messages read per Query page (default 200). DynamoDB bills the data read, not the page size, so bigger pages only
   * save round trips; at most one page's worth beyond the budget is read and dropped.
   */
  pageSize?: number;
  /** Never read more than this many messages for one turn, whatever the budget (default 400). */
  maxMessages?: number;
  /** First retry delay for a batch write's unprocessed items, doubled per attempt (default 200 ms). */
  retryBaseMs?: number;
}

const messageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.array(z.record(z.string(), z.unknown())).min(1),
});

const META_SK = 'META';
const MSG_PREFIX = 'MSG#';
const BATCH_LIMIT = 25;
const MAX_BATCH_ATTEMPTS = 5;

/** The partition key: every item of a session sits under its owner's id. */
export function sessionKey(userId: string, sessionId: string): string {
  return `USER#${userId}#SESSION#${sessionId}`;
}

/** A rough token count (characters / 4): used only to bound history, never to bill. */
export function estimateTokens(message: ChatMessage): number {
  return Math.ceil(JSON.stringify(message.content).length / 4);
}

/** The DynamoDB session store (table keys `pk`/`sk`, TTL attribute `expires_at`). */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? 200;
  const maxMessages = options.maxMessages ?? 400;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const expiresAt = () => String(Math.floor(now() / 1000) + options.ttlDays * 86_400);

  return {
    async exists(userId, sessionId) {
      const result = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: sessionKey(userId, sessionId) }, sk: { S: META_SK } },
          ProjectionExpression: 'expires_at',
          // The same user flow may have just created the session: an eventually consistent read could miss it.
          ConsistentRead: true,
        }),
      );
      const expiry = Number(result.Item?.expires_at?.N ?? 0);
      return result.Item !== undefined && expiry * 1000 > now();
    },

    async loadRecent(userId, sessionId, budgetTokens) {
      const newestFirst: ChatMessage[] = [];
      let used = 0;
      let cursor: QueryCommandOutput['LastEvaluatedKey'];
      const nowSeconds = Math.floor(now() / 1000);
      reading: do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
            ExpressionAttributeValues: {
              ':pk': { S: sessionKey(userId, sessionId) },
              ':msg': { S: MSG_PREFIX },
            },
            ScanIndexForward: false,
            Limit: pageSize,
            ExclusiveStartKey: cursor,
            // The previous turn was written moments ago; an eventually consistent read could return it half-written.
            ConsistentRead: true,
          }),
        );
        for (const item of page.Items ?? []) {
          // TTL deletion lags by up to days: an expired item is already gone as far as readers are concerned.
          if (Number(item.expires_at?.N ?? 0) <= nowSeconds) break reading;
          const message = messageSchema.parse(JSON.parse(item.body?.S ?? 'null')) as ChatMessage;
          const cost = Number(item.tokens?.N ?? estimateTokens(message));
          if (used + cost > budgetTokens || newestFirst.length >= maxMessages) break reading;
          used += cost;
          newestFirst.push(message);
        }
        cursor = page.LastEvaluatedKey;
      } while (cursor);
      return repairHistory(newestFirst.reverse());
    },

    async append(userId, sessionId, messages) {
      const pk = sessionKey(userId, sessionId);
      const expiry = expiresAt();
      // Sort keys order messages by time, then by position in the turn; the random part keeps concurrent turns apart.
      const turnKey = `${MSG_PREFIX}${String(now()).padStart(15, '0')}#${randomBytes(4).toString('hex')}`;
      const writes: WriteRequest[] = messages.map((original, index) => {
        const message = fitMessage(original);
        return {
          PutRequest: {
            Item: {
              pk: { S: pk },
              sk: { S: `${turnKey}#${String(index).padStart(3, '0')}` },
              role: { S: message.role },
              body: { S: JSON.stringify(message) },
              tokens: { N: String(estimateTokens(message)) },
              expires_at: { N: expiry },
            },
          },
        };
      });
      await Promise.all([
        writes.length > 0 ? writeAll(client, tableName, writes, retryBaseMs) : undefined,
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: pk }, sk: { S: META_SK } },
            UpdateExpression:
              'SET created_at = if_not_exists(created_at, :now), updated_at = :now, expires_at = :exp ADD message_count :n',
            ExpressionAttributeValues: {
              ':now': { S: new Date(now()).toISOString() },
              ':exp': { N: expiry },
              ':n': { N: String(messages.length) },
            },
          }),
        ),
      ]);
    },
  };
}

/**
 * Writes in batches of 25, retrying unprocessed items with backoff. Items still unprocessed after the last attempt
 * leave the turn partly saved (BatchWriteItem is not atomic); loadRecent repairs around the gap.
 */
async function writeAll(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  writes: WriteRequest[],
  retryBaseMs: number,
) {
  for (let offset = 0; offset < writes.length; offset += BATCH_LIMIT) {
    let pending = writes.slice(offset, offset + BATCH_LIMIT);
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) {
        throw new Error(
          `DynamoDB left ${pending.length} session messages unwritten after ${MAX_BATCH_ATTEMPTS} attempts`,
        );
      }
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, retryBaseMs * 2 ** (attempt - 2)));
      const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = result.UnprocessedItems?.[tableName] ?? [];
    }
  }
}
