import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '../../bin/local/function-url';
import { installLambdaGlobals } from '../../bin/local/lambda-runtime';
import type { ChatEvent } from '../../lambdas/agent/events';
import { runChatTurn } from '../../lambdas/agent/turn';
import { type ChatAppDeps, createChatHandler } from '../../lambdas/chat/app';
import { createAppDeps } from '../../lambdas/chat/wiring';
import { createStaticTokenPort } from '../../lambdas/identity';
import { createLogger } from '../../lambdas/log';
import type { MetricsPort, TurnSummary } from '../../lambdas/metrics/port';
import { createTurnBudget } from '../../lambdas/sessions/budget';
import { type BedrockStandin, say, startBedrockStandin } from '../support/bedrock-standin';
import { testConfig } from '../support/chat-function';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';
import { chat, textOf } from '../support/sse-client';

const HOUR = 3_600_000;
/** 10:25 UTC: the budget resets at 11:00, in 35 minutes. */
const TEN_25 = Date.UTC(2030, 0, 1, 10, 25);

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startDynalite();
  await createAgentTable(dynamo.client, 'sessions');
  await createAgentTable(dynamo.client, 'plans');
});
afterAll(async () => {
  await dynamo?.close();
});

describe('turn budget store (dynalite)', () => {
  const budget = (turnsPerHour: number, now: () => number) =>
    createTurnBudget({ client: dynamo.client, tableName: 'sessions', turnsPerHour, now });

  it('refuses the turn past the limit, with the start of the next hour as its reset time', async () => {
    const store = budget(2, () => TEN_25);

    const results = [await store.charge('limit'), await store.charge('limit'), await store.charge('limit')];

    expect(results.map((result) => result.ok)).toEqual([true, true, false]);
    expect(results[2]).toEqual({
      ok: false,
      kind: 'turns',
      limit: 2,
      resetsAt: new Date(Date.UTC(2030, 0, 1, 11)),
      resetsInMinutes: 35,
    });
  });

  it('allows turns again in the next hour', async () => {
    let clock = TEN_25;
    const store = budget(1, () => clock);
    await store.charge('hourly');
    expect((await store.charge('hourly')).ok).toBe(false);

    clock += HOUR;

    expect((await store.charge('hourly')).ok).toBe(true);
  });

  it("counts each user on their own: one user's spent budget leaves another's untouched", async () => {
    const store = budget(1, () => TEN_25);
    await store.charge('spent');

    expect((await store.charge('spent')).ok).toBe(false);
    expect((await store.charge('fresh')).ok).toBe(true);
  });

  it('never lets concurrent charges past the limit', async () => {
    const store = budget(5, () => TEN_25);

    const results = await Promise.all(Array.from({ length: 20 }, () => store.charge('burst')));

    expect(results.filter((result) => result.ok)).toHaveLength(5);
  });

  it('keeps the counter a couple of hours past its hour (TTL), and refused charges do not add to it', async () => {
    const store = budget(1, () => TEN_25);
    await store.charge('ttl');
    await store.charge('ttl');

    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: 'sessions',
        Key: { pk: { S: 'USER#ttl#BUDGET' }, sk: { S: `HOUR#${Math.floor(TEN_25 / HOUR)}` } },
      }),
    );
    expect(Item?.turns?.N).toBe('1');
    expect(Number(Item?.expires_at?.N)).toBe(Date.UTC(2030, 0, 1, 13) / 1000);
  });
});

describe('token budget store (dynalite)', () => {
  const budget = (limits: { turns?: number; tokens: number }, now: () => number) =>
    createTurnBudget({
      client: dynamo.client,
      tableName: 'sessions',
      turnsPerHour: limits.turns ?? 0,
      tokensPerHour: limits.tokens,
      now,
    });

  it("refuses a turn once the hour's tokens are spent, with the next hour as its reset time", async () => {
    const store = budget({ tokens: 1000 }, () => TEN_25);
    const first = await store.charge('tokens');
    await store.chargeTokens?.('tokens', 999);
    const second = await store.charge('tokens');
    await store.chargeTokens?.('tokens', 5);

    const third = await store.charge('tokens');

    expect([first.ok, second.ok]).toEqual([true, true]);
    expect(third).toEqual({
      ok: false,
      kind: 'tokens',
      limit: 1000,
      resetsAt: new Date(Date.UTC(2030, 0, 1, 11)),
      resetsInMinutes: 35,
    });
  });

  it('keeps turns and tokens in the same hourly item, each against its own limit', async () => {
    const store = budget({ turns: 5, tokens: 100 }, () => TEN_25);
    await store.charge('both');
    await store.chargeTokens?.('both', 60);
    await store.chargeTokens?.('both', 40);

    const refused = await store.charge('both');

    expect(refused).toMatchObject({ ok: false, kind: 'tokens', limit: 100 });
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: 'sessions',
        Key: { pk: { S: 'USER#both#BUDGET' }, sk: { S: `HOUR#${Math.floor(TEN_25 / HOUR)}` } },
      }),
    );
    expect([Item?.turns?.N, Item?.tokens?.N]).toEqual(['1', '100']);
    expect(Number(Item?.expires_at?.N)).toBe(Date.UTC(2030, 0, 1, 13) / 1000);
  });

  it('says the turns are spent when they are, even with tokens left', async () => {
    const store = budget({ turns: 1, tokens: 1_000_000 }, () => TEN_25);
    await store.charge('turns-first');

    expect(await store.charge('turns-first')).toMatchObject({ ok: false, kind: 'turns', limit: 1 });
  });

  it('starts every hour with its tokens unspent', async () => {
    let clock = TEN_25;
    const store = budget({ tokens: 10 }, () => clock);
    await store.chargeTokens?.('next-hour', 50);
    expect((await store.charge('next-hour')).ok).toBe(false);

    clock += HOUR;

    expect((await store.charge('next-hour')).ok).toBe(true);
  });

  it('has no token charge when tokens are not bounded', () => {
    expect(budget({ turns: 3, tokens: 0 }, () => TEN_25).chargeTokens).toBeUndefined();
  });
});

describe('a chat turn over budget (local function URL)', () => {
  let bedrock: BedrockStandin;
  let server: LocalFunctionUrl;
  let appDeps: ChatAppDeps;
  const turns: TurnSummary[] = [];
  const metrics: MetricsPort = {
    turnCompleted: (summary) => turns.push(summary),
    modelCall: () => undefined,
    consent: () => undefined,
    review: () => undefined,
    reviewJson: () => undefined,
    gitHubRateLimit: () => undefined,
  };

  beforeAll(async () => {
    installLambdaGlobals();
    bedrock = await startBedrockStandin();
    const config = testConfig({ USER_TURNS_PER_HOUR: '2' });
    const deps = createAppDeps(config, {
      logger: createLogger('SILENT'),
      dynamo: dynamo.client,
      bedrock: new BedrockRuntimeClient({ endpoint: bedrock.url, region: 'ap-southeast-2', maxAttempts: 1 }),
      tokenPort: createStaticTokenPort({ token: 'ghp_unused_in_these_tests' }),
      now: () => new Date(TEN_25),
      metrics,
    });
    appDeps = deps;
    server = await startLocalFunctionUrl({
      handler: awslambda.streamifyResponse(createChatHandler(deps)),
      userArn: 'arn:aws:iam::123456789012:user/alice',
      allowUserHeader: true,
    });
  });
  afterAll(async () => {
    await Promise.all([server?.close(), bedrock?.close()]);
  });
  afterEach(() => {
    turns.length = 0;
  });

  it('streams rate_limited with the reset time, then done, without calling the model', async () => {
    bedrock.enqueue(say('one'), say('two'));
    await chat(server.url, { message: 'first' }, { user: 'carol' });
    await chat(server.url, { message: 'second' }, { user: 'carol' });
    const calls = bedrock.requests.length;

    const answer = await chat(server.url, { message: 'third' }, { user: 'carol' });

    expect(answer.events.map((event) => event.type)).toEqual(['session', 'error', 'done']);
    expect(answer.events[1]).toMatchObject({
      type: 'error',
      code: 'rate_limited',
      message: expect.stringContaining('2030-01-01T11:00:00.000Z (in 35 min)'),
    });
    expect(bedrock.requests).toHaveLength(calls);
    expect(turns.at(-1)).toMatchObject({ outcome: 'rate_limited', modelCalls: 0 });
  });

  it('still runs a cancel over budget: it finishes earlier work', async () => {
    bedrock.enqueue(say('one'), say('two'));
    await chat(server.url, { message: 'first' }, { user: 'dave' });
    await chat(server.url, { message: 'second' }, { user: 'dave' });
    const refused = await chat(server.url, { message: 'third' }, { user: 'dave' });
    expect(refused.events[1]).toMatchObject({ code: 'rate_limited' });

    const answer = await chat(server.url, { message: 'cancel' }, { user: 'dave' });

    expect(answer.events.some((event) => event.type === 'error' && event.code === 'rate_limited')).toBe(
      false,
    );
    expect(textOf(answer.events)).not.toBe('');
  });

  it('lets the turn through when the budget store fails (fail open), and logs it', async () => {
    bedrock.enqueue(say('answered'));
    const events: ChatEvent[] = [];
    const warnings: string[] = [];
    const failing = () => Promise.reject(new Error('DynamoDB is down'));

    await runChatTurn(
      {
        ...appDeps.turn,
        budget: { charge: failing },
        logger: { ...appDeps.turn.logger, warn: (message: string) => warnings.push(message) },
      },
      { userId: 'erin', message: 'hello', emit: (event) => events.push(event), remainingMs: () => 60_000 },
    );

    expect(textOf(events)).toBe('answered');
    expect(warnings).toEqual([expect.stringContaining('turn budget failed')]);
  });
});

describe('a chat turn over its token budget (local function URL)', () => {
  let bedrock: BedrockStandin;
  let server: LocalFunctionUrl;

  beforeAll(async () => {
    installLambdaGlobals();
    bedrock = await startBedrockStandin();
    const config = testConfig({ USER_TURNS_PER_HOUR: '0', USER_TOKENS_PER_HOUR: '1000' });
    const deps = createAppDeps(config, {
      logger: createLogger('SILENT'),
      dynamo: dynamo.client,
      bedrock: new BedrockRuntimeClient({ endpoint: bedrock.url, region: 'ap-southeast-2', maxAttempts: 1 }),
      tokenPort: createStaticTokenPort({ token: 'ghp_unused_in_these_tests' }),
      now: () => new Date(TEN_25),
    });
    server = await startLocalFunctionUrl({
      handler: awslambda.streamifyResponse(createChatHandler(deps)),
      userArn: 'arn:aws:iam::123456789012:user/alice',
      allowUserHeader: true,
    });
  });
  afterAll(async () => {
    await Promise.all([server?.close(), bedrock?.close()]);
  });

  const usage = (inputTokens: number, outputTokens: number, cacheReadInputTokens = 0) => ({
    kind: 'reply' as const,
    text: 'ok',
    usage: { inputTokens, outputTokens, cacheReadInputTokens },
  });

  it("charges each turn's tokens after it and refuses the next turn once the hour's are spent", async () => {
    bedrock.enqueue(usage(300, 100, 200), usage(300, 150));
    const first = await chat(server.url, { message: 'first' }, { user: 'frank' });
    const second = await chat(server.url, { message: 'second' }, { user: 'frank' });
    const calls = bedrock.requests.length;

    const third = await chat(server.url, { message: 'third' }, { user: 'frank' });

    expect([textOf(first.events), textOf(second.events)]).toEqual(['ok', 'ok']);
    expect(third.events.map((event) => event.type)).toEqual(['session', 'error', 'done']);
    expect(third.events[1]).toMatchObject({
      type: 'error',
      code: 'rate_limited',
      message: expect.stringContaining('1000 model tokens per hour'),
    });
    expect(third.events[1]).toMatchObject({
      message: expect.stringContaining('2030-01-01T11:00:00.000Z (in 35 min)'),
    });
    expect(bedrock.requests).toHaveLength(calls);
    // A caller's user id is a hash of its IAM identity: frank's is so far the only such counter with tokens.
    const { Items } = await dynamo.client.send(
      new ScanCommand({
        TableName: 'sessions',
        FilterExpression: 'attribute_exists(tokens) AND sk = :hour AND begins_with(pk, :caller)',
        ExpressionAttributeValues: {
          ':hour': { S: `HOUR#${Math.floor(TEN_25 / HOUR)}` },
          ':caller': { S: 'USER#iam-' },
        },
      }),
    );
    // 300 + 100 + 200 cached, then 300 + 150.
    expect(Items?.map((item) => item.tokens?.N)).toEqual(['1050']);
  });

  it("leaves other users' tokens untouched", async () => {
    bedrock.enqueue(usage(2000, 10), usage(5, 5));
    await chat(server.url, { message: 'big' }, { user: 'gina' });

    const other = await chat(server.url, { message: 'small' }, { user: 'hank' });

    expect(textOf(other.events)).toBe('ok');
  });
});
