import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { withJsonFastPath } from '../../lambdas/dynamodb-json';

/** A running in-memory dynalite (the real DynamoDB HTTP API) and a client pointed at it. */
export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** How long dynalite keeps an idle keep-alive connection open, like the function-URL stand-in. */
export const DYNALITE_KEEP_ALIVE_MS = 65_000;

/**
 * Starts dynalite on an ephemeral loopback port. `path` persists to disk; in memory otherwise. `client` builds the
 * client pointed at it (default: an SDK client whose item and query commands take the JSON path, as the functions'
 * clients do; other commands, such as CreateTable, go through the SDK).
 */
export async function startDynalite(
  options: { path?: string; port?: number; client?: (endpoint: string) => DynamoDBClient } = {},
): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.path });
  // With Node's default (5 s) the client's idle timer (the `Keep-Alive: timeout=5` hint less 1 s) and the server's raced
  // on a loaded event loop: a pooled connection was reused as dynalite closed it, and turn saves failed with
  // ECONNRESET. At 65 s (as the function-URL stand-in) a connection in a burst of turns is never idle that long.
  server.keepAliveTimeout = DYNALITE_KEEP_ALIVE_MS;
  server.headersTimeout = DYNALITE_KEEP_ALIVE_MS + 1_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client =
    options.client?.(endpoint) ??
    withJsonFastPath(
      new DynamoDBClient({
        endpoint,
        region: 'ap-southeast-2',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
  return {
    endpoint,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Creates a table with the key shape every table of this stack uses: string `pk` + string `sk`
 * (TTL attribute `expires_at` is configured in the stack; dynalite has no UpdateTimeToLive).
 */
export async function createAgentTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

/**
 * Creates the auto-review table (lib/tables.ts `AutoReview`): the `pk`/`sk` pair plus the `byUser` index on
 * `user_pk`/`pk` that lists one user's subscriptions.
 */
export async function createAutoReviewTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'user_pk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byUser',
          KeySchema: [
            { AttributeName: 'user_pk', KeyType: 'HASH' },
            { AttributeName: 'pk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
}
