import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDynamoDbClient, withoutSdkLogging } from '../../lambdas/aws-clients';
import { resolveJsonEndpoint, withJsonFastPath } from '../../lambdas/dynamodb-json';
import { isDependencyTimeout } from '../../lambdas/timeouts';
import { type BlackHole, startBlackHole } from '../support/black-hole';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';
import { type SigV4Front, startSigV4Front } from '../support/sigv4-front';

/**
 * The chat function's DynamoDB client sends item and query commands as DynamoDB's JSON protocol itself
 * (lambdas/dynamodb-json.ts). Here it talks to dynalite (the real DynamoDB API) through a front door that checks
 * every request's SigV4 signature as AWS does, and that can answer as a throttled or failing DynamoDB would.
 */

const REGION = 'ap-southeast-2';
const TABLE = 'json-path';
const credentials = {
  accessKeyId: 'AKIDJSONPATH',
  secretAccessKey: 'json-path-secret',
  sessionToken: 'token-1',
};
const timeouts = { connectMs: 2_000, requestMs: 5_000 };

let dynamo: LocalDynamo;
let front: SigV4Front;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createAgentTable(dynamo.client, TABLE);
  front = await startSigV4Front({
    upstream: dynamo.endpoint,
    secrets: { [credentials.accessKeyId]: credentials.secretAccessKey },
    service: 'dynamodb',
    region: REGION,
  });
});
afterAll(async () => {
  await front.close();
  await dynamo.close();
});

/** The chat function's client (createDynamoDbClient), pointed at the front. */
function chatClient(secretAccessKey = credentials.secretAccessKey): DynamoDBClient {
  return createDynamoDbClient({
    region: REGION,
    endpoint: front.url,
    credentials: { ...credentials, secretAccessKey },
    timeouts,
  });
}

/** A plain SDK client with the JSON path and instant, recorded backoff. */
function clientWithBackoff(sleeps: number[]): DynamoDBClient {
  return withJsonFastPath(
    withoutSdkLogging(new DynamoDBClient({ region: REGION, endpoint: front.url, credentials })),
    {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    },
  );
}

const since = (count: number) => front.requests.slice(count);
const withoutMetadata = (output: object) => ({ ...output, $metadata: undefined });

describe('DynamoDB JSON path: the same answers as the SDK, signed as AWS checks', () => {
  it('sends every item and query command the stores use and gets the answers the SDK gets', async () => {
    const json = chatClient();
    const sdk = new DynamoDBClient({ region: REGION, endpoint: front.url, credentials });
    const before = front.requests.length;
    const key = (sk: string) => ({ pk: { S: 'USER#alice' }, sk: { S: sk } });

    await json.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { ...key('a'), n: { N: '1' }, tags: { SS: ['x', 'y'] } },
      }),
    );
    await json.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: { ...key('b'), body: { S: 'línea "quoted" \u2028 ✓' } } } },
            {
              PutRequest: {
                Item: { ...key('c'), nested: { M: { list: { L: [{ BOOL: true }, { NULL: true }] } } } },
              },
            },
          ],
        },
      }),
    );
    const updated = await json.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key('a'),
        UpdateExpression: 'ADD n :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const get = (sk: string) => new GetItemCommand({ TableName: TABLE, Key: key(sk), ConsistentRead: true });
    const query = () =>
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'USER#alice' } },
        Limit: 2,
        ConsistentRead: true,
      });
    expect(withoutMetadata(await json.send(get('b')))).toEqual(withoutMetadata(await sdk.send(get('b'))));
    expect(withoutMetadata(await json.send(get('missing')))).toEqual(
      withoutMetadata(await sdk.send(get('missing'))),
    );
    expect(withoutMetadata(await json.send(query()))).toEqual(withoutMetadata(await sdk.send(query())));
    await json.send(new DeleteItemCommand({ TableName: TABLE, Key: key('c') }));

    expect(updated.Attributes?.n).toEqual({ N: '2' });
    expect(
      (await sdk.send(new GetItemCommand({ TableName: TABLE, Key: key('c'), ConsistentRead: true }))).Item,
    ).toBeUndefined();
    const sent = since(before);
    expect(sent.every((request) => request.signatureProblem === undefined)).toBe(true);
    expect(sent.map((request) => request.headers['x-amz-target'])).toEqual(
      expect.arrayContaining([
        'DynamoDB_20120810.PutItem',
        'DynamoDB_20120810.BatchWriteItem',
        'DynamoDB_20120810.UpdateItem',
        'DynamoDB_20120810.GetItem',
        'DynamoDB_20120810.Query',
        'DynamoDB_20120810.DeleteItem',
      ]),
    );
    expect(sent.every((request) => request.headers['x-amz-security-token'] === 'token-1')).toBe(true);
    json.destroy();
    sdk.destroy();
  });

  it('answers with the status and request id in $metadata, as the SDK does', async () => {
    const json = chatClient();

    const output = await json.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }),
    );

    expect(output.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 1 });
    expect(output.$metadata.requestId).toMatch(/\w/);
    json.destroy();
  });

  it('leaves other commands to the SDK', async () => {
    const json = chatClient();
    const before = front.requests.length;

    const table = await json.send(new DescribeTableCommand({ TableName: TABLE }));

    expect(table.Table?.TableName).toBe(TABLE);
    expect(since(before).map((request) => request.headers['x-amz-target'])).toEqual([
      'DynamoDB_20120810.DescribeTable',
    ]);
    json.destroy();
  });

  it('is refused by the front when signed with the wrong secret, and does not retry that', async () => {
    const json = chatClient('not-the-secret');
    const before = front.requests.length;

    const failure = await json
      .send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }))
      .catch((error: unknown) => error as Error);

    expect(failure).toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    expect(since(before)).toHaveLength(1);
    json.destroy();
  });
});

describe('DynamoDB JSON path: errors are the SDK errors the stores expect', () => {
  it('throws ConditionalCheckFailedException for a failed condition', async () => {
    const json = chatClient();
    const item = { pk: { S: 'USER#bob' }, sk: { S: 'once' } };
    await json.send(new PutItemCommand({ TableName: TABLE, Item: item }));

    const failure = await json
      .send(
        new PutItemCommand({ TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      )
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConditionalCheckFailedException);
    expect(failure).toMatchObject({ $metadata: { httpStatusCode: 400, attempts: 1 } });
    json.destroy();
  });

  it("passes DynamoDB's own validation message through and does not retry it", async () => {
    const json = chatClient();
    const before = front.requests.length;

    const failure = await json
      .send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'only-half-the-key' } } }))
      .then(
        () => new Error('no error'),
        (error: unknown) => error as Error,
      );

    expect(failure.name).toBe('ValidationException');
    expect(failure.message).toMatch(/key element does not match the schema/i);
    expect(since(before)).toHaveLength(1);
    json.destroy();
  });

  it('retries throttling with the SDK backoff (500 ms base, doubled) and then succeeds', async () => {
    const sleeps: number[] = [];
    const json = clientWithBackoff(sleeps);
    const throttled = {
      status: 400,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'slow down',
      },
    };
    front.answerNext(throttled, throttled);
    const before = front.requests.length;

    const output = await json.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }),
    );

    expect(since(before)).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
    expect(output.$metadata).toMatchObject({ attempts: 3, totalRetryDelay: 750 });
    json.destroy();
  });

  it('gives up on a failing DynamoDB after the configured attempts, with the SDK exception', async () => {
    const sleeps: number[] = [];
    const json = clientWithBackoff(sleeps);
    const attempts = await json.config.maxAttempts();
    const failing = {
      status: 500,
      body: { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'oops' },
    };
    front.answerNext(...Array.from({ length: attempts }, () => failing));
    const before = front.requests.length;

    const failure = await json
      .send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(InternalServerError);
    expect(failure).toMatchObject({ message: 'oops', $metadata: { httpStatusCode: 500, attempts } });
    expect(since(before)).toHaveLength(attempts);
    expect(sleeps).toEqual(Array.from({ length: attempts - 1 }, (_, index) => 50 * 2 ** index));
    json.destroy();
  });
});

describe('DynamoDB JSON path: timeouts and endpoints', () => {
  let hole: BlackHole | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await hole?.close();
    hole = undefined;
  });

  it('times out a silent DynamoDB with the handler timeout (a dependency timeout)', async () => {
    hole = await startBlackHole();
    const json = createDynamoDbClient({
      region: REGION,
      endpoint: hole.url,
      credentials,
      timeouts: { connectMs: 500, requestMs: 300 },
    });

    const failure = await json
      .send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }))
      .catch((error: unknown) => error);

    expect(isDependencyTimeout(failure)).toBe(true);
    json.destroy();
  });

  it('goes where AWS_ENDPOINT_URL_DYNAMODB points, as the SDK does', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', front.url);
    const json = withJsonFastPath(new DynamoDBClient({ region: REGION, credentials }));
    const before = front.requests.length;

    await json.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }));

    expect(since(before)).toHaveLength(1);
    json.destroy();
  });

  it("resolves the partition's regional endpoint when none is configured", async () => {
    const endpoint = (region: string) =>
      resolveJsonEndpoint(new DynamoDBClient({ region, credentials }), region).then(String);

    expect(await endpoint('ap-southeast-2')).toBe('https://dynamodb.ap-southeast-2.amazonaws.com/');
    expect(await endpoint('cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn/');
  });
});
