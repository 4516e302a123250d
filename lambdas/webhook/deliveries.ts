import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';

/** How long a delivery id is remembered: GitHub redelivers on request for a few days; a week covers that. */
export const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

/** Records webhook deliveries seen, so a redelivered or replayed one is handled once. */
export interface DeliveryLedger {
  /** True the first time `deliveryId` is claimed (within its TTL); false for a duplicate. */
  claim(deliveryId: string): Promise<boolean>;
  /** Forgets a claimed delivery whose jobs could not be queued, so GitHub's redelivery of it is handled. */
  release(deliveryId: string): Promise<void>;
}

/**
 * The ledger over the auto-review table: one conditional PutItem per delivery (pk `DELIVERY#<id>`) with a TTL. An
 * item past its TTL that DynamoDB has not deleted yet counts as gone.
 */
export function createDeliveryLedger(options: {
  client: Pick<DynamoDBClient, 'send'>;
  tableName: string;
  /** Epoch milliseconds. */
  now?: () => number;
}): DeliveryLedger {
  const now = options.now ?? Date.now;
  const key = (deliveryId: string) => ({ pk: { S: `DELIVERY#${deliveryId}` }, sk: { S: 'DELIVERY' } });
  return {
    async claim(deliveryId) {
      const nowSeconds = Math.floor(now() / 1000);
      try {
        await options.client.send(
          new PutItemCommand({
            TableName: options.tableName,
            Item: {
              ...key(deliveryId),
              expires_at: { N: String(nowSeconds + DELIVERY_TTL_SECONDS) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expires_at <= :now',
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async release(deliveryId) {
      await options.client.send(
        new DeleteItemCommand({ TableName: options.tableName, Key: key(deliveryId) }),
      );
    },
  };
}
