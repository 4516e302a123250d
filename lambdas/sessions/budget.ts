import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { BudgetRefusal, TurnBudget } from '../agent/turn';

export interface TurnBudgetOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** SESSIONS_TABLE: one small counter item per user and hour. */
  tableName: string;
  /** USER_TURNS_PER_HOUR: turns a user may start per clock hour (UTC); 0: turns are counted, not bounded. */
  turnsPerHour: number;
  /** USER_TOKENS_PER_HOUR: model tokens a user's turns may use per clock hour; 0 or absent: not bounded. */
  tokensPerHour?: number;
  now?: () => number;
}

const HOUR_MS = 3_600_000;
/** Counters outlive their hour a little (TTL deletion lags anyway); nothing reads a past hour. */
const KEEP_HOURS = 2;

/**
 * A per-user bound on chat turns, and optionally on model tokens, per clock hour, in DynamoDB: one counter item per
 * user and hour (pk `USER#<userId>#BUDGET`, sk `HOUR#<epoch hour>`, attributes `turns` and `tokens`). A turn is
 * charged with a single conditional `ADD` that also checks the hour's tokens, so concurrent turns of the same user can
 * never take it past the turn limit and none starts once the tokens are spent (no transaction needed; a refused charge
 * changes nothing). A finished turn's tokens are added to the same item with `chargeTokens`.
 */
export function createTurnBudget(options: TurnBudgetOptions): TurnBudget {
  const { client, tableName, turnsPerHour } = options;
  const tokensPerHour = options.tokensPerHour ?? 0;
  const now = options.now ?? Date.now;
  const keyOf = (userId: string, hour: number) => ({
    pk: { S: `USER#${userId}#BUDGET` },
    sk: { S: `HOUR#${hour}` },
  });
  const expiresAt = (hour: number) => ({ N: String(((hour + 1 + KEEP_HOURS) * HOUR_MS) / 1000) });

  const conditions: string[] = [];
  const limits: Record<string, { N: string }> = {};
  if (turnsPerHour > 0) {
    conditions.push('(attribute_not_exists(turns) OR turns < :turnLimit)');
    limits[':turnLimit'] = { N: String(turnsPerHour) };
  }
  if (tokensPerHour > 0) {
    conditions.push('(attribute_not_exists(tokens) OR tokens < :tokenLimit)');
    limits[':tokenLimit'] = { N: String(tokensPerHour) };
  }

  /** Which limit refused a charge: read once, only on a refusal (dynalite cannot return the item with the failure). */
  async function refusal(userId: string, hour: number): Promise<BudgetRefusal> {
    const resetsAt = new Date((hour + 1) * HOUR_MS);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: keyOf(userId, hour), ConsistentRead: true }),
    );
    const spentTurns = turnsPerHour > 0 && Number(Item?.turns?.N ?? 0) >= turnsPerHour;
    return {
      ok: false,
      kind: spentTurns ? 'turns' : 'tokens',
      limit: spentTurns ? turnsPerHour : tokensPerHour,
      resetsAt,
      resetsInMinutes: Math.ceil((resetsAt.getTime() - now()) / 60_000),
    };
  }

  return {
    async charge(userId) {
      const hour = Math.floor(now() / HOUR_MS);
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(userId, hour),
            UpdateExpression: 'ADD turns :one SET expires_at = :expires',
            ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
            ExpressionAttributeValues: { ':one': { N: '1' }, ':expires': expiresAt(hour), ...limits },
          }),
        );
        return { ok: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return refusal(userId, hour);
      }
    },
    ...(tokensPerHour > 0
      ? {
          async chargeTokens(userId: string, tokens: number) {
            // The hour the turn ended in pays; `ADD` is atomic, so concurrent turns of a user all count.
            const hour = Math.floor(now() / HOUR_MS);
            await client.send(
              new UpdateItemCommand({
                TableName: tableName,
                Key: keyOf(userId, hour),
                UpdateExpression: 'ADD tokens :tokens SET expires_at = :expires',
                ExpressionAttributeValues: {
                  ':tokens': { N: String(Math.max(0, Math.round(tokens))) },
                  ':expires': expiresAt(hour),
                },
              }),
            );
          },
        }
      : {}),
  };
}
