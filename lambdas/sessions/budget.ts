import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { TurnBudget } from '../agent/turn';

export interface TurnBudgetOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** SESSIONS_TABLE: one small counter item per user and hour. */
  tableName: string;
  /** USER_TURNS_PER_HOUR: turns a user may start per clock hour (UTC); at least 1. */
  turnsPerHour: number;
  now?: () => number;
}

const HOUR_MS = 3_600_000;
/** Counters outlive their hour a little (TTL deletion lags anyway); nothing reads a past hour. */
const KEEP_HOURS = 2;

/**
 * A per-user bound on chat turns per clock hour, in DynamoDB: one counter item per user and hour (pk
 * `USER#<userId>#BUDGET`, sk `HOUR#<epoch hour>`), charged with a single conditional `ADD` so concurrent turns of the
 * same user can never take it past the limit (no transaction needed; a refused charge changes nothing).
 */
export function createTurnBudget(options: TurnBudgetOptions): TurnBudget {
  const { client, tableName, turnsPerHour } = options;
  const now = options.now ?? Date.now;
  return {
    async charge(userId) {
      const hour = Math.floor(now() / HOUR_MS);
      const resetsAt = new Date((hour + 1) * HOUR_MS);
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: `USER#${userId}#BUDGET` }, sk: { S: `HOUR#${hour}` } },
            UpdateExpression: 'ADD turns :one SET expires_at = :expires',
            ConditionExpression: 'attribute_not_exists(turns) OR turns < :limit',
            ExpressionAttributeValues: {
              ':one': { N: '1' },
              ':limit': { N: String(turnsPerHour) },
              ':expires': { N: String(((hour + 1 + KEEP_HOURS) * HOUR_MS) / 1000) },
            },
          }),
        );
        return { ok: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return {
          ok: false,
          limit: turnsPerHour,
          resetsAt,
          resetsInMinutes: Math.ceil((resetsAt.getTime() - now()) / 60_000),
        };
      }
    },
  };
}
