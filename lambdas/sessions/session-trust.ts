import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SessionTrust } from '../writes/ports';
import { sessionKey } from './messages';

export interface SessionTrustOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** SESSIONS_TABLE: the mark sits in the session's own partition. */
  tableName: string;
  /** Days the mark lives after it was last set; the turn re-sets it, so it outlives the session's last message. */
  ttlDays: number;
  now?: () => number;
}

const TRUST_SK = 'TRUST';

/**
 * The "this session has read text written by other people" mark: one item per session, set when a tool returned such
 * text and re-set by every later turn, so it lives at least as long as any message that could carry that text.
 */
export function createSessionTrust(options: SessionTrustOptions): SessionTrust {
  const { client, tableName } = options;
  const now = options.now ?? Date.now;
  const key = (userId: string, sessionId: string) => ({
    pk: { S: sessionKey(userId, sessionId) },
    sk: { S: TRUST_SK },
  });
  return {
    async isUntrusted(userId, sessionId) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: key(userId, sessionId), ConsistentRead: true }),
      );
      return Item?.untrusted?.BOOL === true && Number(Item.expires_at?.N ?? 0) * 1000 > now();
    },
    async markUntrusted(userId, sessionId) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...key(userId, sessionId),
            untrusted: { BOOL: true },
            marked_at: { S: new Date(now()).toISOString() },
            expires_at: { N: String(Math.floor(now() / 1000) + options.ttlDays * 86_400) },
          },
        }),
      );
    },
  };
}
