import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

describe('dynalite stand-in', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynalite();
    await createAgentTable(dynamo.client, 'probe-table');
  });
  afterAll(() => dynamo.close());

  it('stores and returns an item through the real DynamoDB API', async () => {
    await dynamo.client.send(
      new PutItemCommand({ TableName: 'probe-table', Item: { pk: { S: 'u1#s1' }, sk: { S: 'MSG#1' } } }),
    );

    const { Item } = await dynamo.client.send(
      new GetItemCommand({ TableName: 'probe-table', Key: { pk: { S: 'u1#s1' }, sk: { S: 'MSG#1' } } }),
    );

    expect(Item?.pk?.S).toBe('u1#s1');
  });

  it('keeps an idle connection open for 65 s, so pooled connections do not race its close under load', async () => {
    const response = await fetch(dynamo.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    await response.text();

    // Clients close an idle connection a second before this hint; Node's default would say 5.
    expect(response.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('rejects an item over the 400 KB limit like DynamoDB does', async () => {
    const big = 'x'.repeat(410 * 1024);

    await expect(
      dynamo.client.send(
        new PutItemCommand({
          TableName: 'probe-table',
          Item: { pk: { S: 'a' }, sk: { S: 'b' }, body: { S: big } },
        }),
      ),
    ).rejects.toThrow(/size/i);
  });
});
