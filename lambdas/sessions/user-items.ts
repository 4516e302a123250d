import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** Which of a user's items (plans table: pk `USER#<userId>`) to read. */
export interface SessionItemsQuery {
  userId: string;
  /** Sort-key prefix of the kind of item, e.g. `PLAN#` or `WRITE#`. */
  prefix: string;
  sessionId: string;
  /** Keep items whose `status` is one of these. */
  statuses: readonly string[];
  /** Epoch seconds: items whose `expires_at` has passed are gone for readers (TTL deletion lags). */
  nowSeconds: number;
}

/**
 * One session's unexpired items of one kind and status, every page, with a consistent read (they are read right after
 * our own conditional writes). The user id is in the key, so another user's items are never read.
 */
export async function querySessionItems(
  client: Pick<DynamoDBClient, 'send'>,
  tableName: string,
  query: SessionItemsQuery,
): Promise<Item[]> {
  const statusValues: Item = {};
  query.statuses.forEach((status, i) => {
    statusValues[`:status${i}`] = { S: status };
  });
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: `session_id = :session AND #status IN (${Object.keys(statusValues).join(', ')}) AND expires_at > :now`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pk': { S: `USER#${query.userId}` },
          ':prefix': { S: query.prefix },
          ':session': { S: query.sessionId },
          ':now': { N: String(query.nowSeconds) },
          ...statusValues,
        },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}
