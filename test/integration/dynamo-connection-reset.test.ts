import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../lambdas/agent/model';
import { createDynamoDbClient } from '../../lambdas/aws-clients';
import { createSessionStore } from '../../lambdas/sessions/messages';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';
import { type ResettingProxy, startResettingProxy } from '../support/resetting-proxy';

/**
 * A turn's save survives the server closing the client's idle keep-alive connections (the race that lost saves under
 * load in `npm run dev`, and that any DynamoDB endpoint may cause): the chat function's own DynamoDB client, through a
 * proxy that resets the next request on every connection that was open when it "timed them out".
 */

let dynamo: LocalDynamo;
let proxy: ResettingProxy;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createAgentTable(dynamo.client, 'sessions');
});
afterAll(() => dynamo.close());
afterEach(() => proxy?.close());

const timeouts = { connectMs: 2_000, requestMs: 5_000 };

const turn: ChatMessage[] = [
  { role: 'user', content: [{ text: 'hi' }] },
  { role: 'assistant', content: [{ text: 'hello' }] },
];

/** The chat function's DynamoDB client through the proxy, with four idle connections in its pool. */
async function clientWithIdleConnections(): Promise<DynamoDBClient> {
  const client = createDynamoDbClient({
    region: 'ap-southeast-2',
    endpoint: proxy.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    timeouts,
  });
  // Four requests at once leave four idle connections in the pool: more than the SDK's three attempts.
  const key = { pk: { S: 'warm' }, sk: { S: 'up' } };
  await Promise.all(
    Array.from({ length: 4 }, () => client.send(new GetItemCommand({ TableName: 'sessions', Key: key }))),
  );
  return client;
}

describe('DynamoDB client: a connection reset on a reused connection', () => {
  it('saves the turn when every pooled connection has gone stale', async () => {
    proxy = await startResettingProxy(dynamo.endpoint);
    const client = await clientWithIdleConnections();
    const store = createSessionStore({ client, tableName: 'sessions', ttlDays: 30 });
    proxy.closeIdleConnections();

    await store.append('alice', 's1', turn, null);

    expect(proxy.resets).toBeGreaterThanOrEqual(1);
    expect(await store.loadRecent('alice', 's1', 10_000)).toHaveLength(2);
    client.destroy();
  });

  it('gives up after one new connection per attempt when the server resets those too', async () => {
    proxy = await startResettingProxy(dynamo.endpoint);
    const client = await clientWithIdleConnections();
    const store = createSessionStore({ client, tableName: 'sessions', ttlDays: 30 });
    proxy.resetEverything();

    const failure = await store.append('alice', 's2', turn, null).then(
      () => undefined,
      (error: unknown) => error as Error & { $metadata?: { attempts?: number } },
    );

    expect(failure?.message).toMatch(/ECONNRESET/);
    // Each of the SDK's attempts (4 for DynamoDB), reset on a reused connection and once more on a new one.
    const attempts = failure?.$metadata?.attempts ?? 0;
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(proxy.resets).toBe(2 * attempts);
    client.destroy();
  });
});
