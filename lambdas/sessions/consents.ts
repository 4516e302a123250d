import { createHash } from 'node:crypto';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { consentStateHash, matchesStateHash } from '../identity/consent-state';

/**
 * Which user started which browser consent, and the hash of its secret `customState` (sessions table). Completing a
 * consent needs both the same IAM user and the state the browser brought back, so a user cannot complete a consent
 * someone else approved from a link they were sent.
 */
export interface ConsentBindings {
  remember(userId: string, sessionUri: string, state: string): Promise<void>;
  /** True when `userId` started `sessionUri`, it has not expired, and `state` is its customState. */
  verify(userId: string, sessionUri: string, state: string): Promise<boolean>;
  forget(userId: string, sessionUri: string): Promise<void>;
}

export interface ConsentBindingsOptions {
  client: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  /** How long a started consent may be completed (default 15 minutes; the client waits 10). */
  ttlSeconds?: number;
  now?: () => number;
}

/** The DynamoDB consent bindings: pk `USER#<userId>#CONSENT`, sk the SHA-256 of the session URI. */
export function createConsentBindings(options: ConsentBindingsOptions): ConsentBindings {
  const { client, tableName } = options;
  const ttlSeconds = options.ttlSeconds ?? 15 * 60;
  const now = options.now ?? Date.now;
  const key = (userId: string, sessionUri: string) => ({
    pk: { S: `USER#${userId}#CONSENT` },
    sk: { S: createHash('sha256').update(sessionUri, 'utf8').digest('hex') },
  });

  return {
    async remember(userId, sessionUri, state) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...key(userId, sessionUri),
            state_hash: { S: consentStateHash(state) },
            expires_at: { N: String(Math.floor(now() / 1000) + ttlSeconds) },
          },
        }),
      );
    },

    async verify(userId, sessionUri, state) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: key(userId, sessionUri), ConsistentRead: true }),
      );
      if (!Item?.state_hash?.S || Number(Item.expires_at?.N ?? 0) * 1000 <= now()) return false;
      return matchesStateHash(state, Item.state_hash.S);
    },

    async forget(userId, sessionUri) {
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: key(userId, sessionUri) }));
    },
  };
}
