import {
  type AttributeValue,
  BatchWriteItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../lambdas/agent/model';
import { MAX_STORED_MESSAGE_BYTES } from '../../lambdas/sessions/fit';
import { createSessionStore, type SessionStore } from '../../lambdas/sessions/messages';
import { converseHistoryProblems } from '../support/converse-history';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

let dynamo: LocalDynamo;
let tableCount = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

type Item = Record<string, AttributeValue>;

/**
 * A fresh table per test, so tests never see each other's items. `withhold` picks the put requests the table
 * "throttles" on every attempt: they are not written and come back as UnprocessedItems, as DynamoDB does under
 * sustained throttling.
 */
async function freshStore(
  options: { now?: () => number; pageSize?: number; withhold?: (item: Item) => boolean } = {},
): Promise<{ store: SessionStore; reads: () => number; tableName: string }> {
  const { withhold, ...storeOptions } = options;
  const tableName = `sessions-${++tableCount}`;
  await createAgentTable(dynamo.client, tableName);
  let itemsRead = 0;
  const send = async (command: Parameters<DynamoDBClient['send']>[0]) => {
    if (withhold !== undefined && command instanceof BatchWriteItemCommand) {
      return writeSome(command, withhold);
    }
    const output = (await dynamo.client.send(command)) as { Items?: unknown[] };
    itemsRead += output.Items?.length ?? 0;
    return output;
  };
  const counting: Pick<DynamoDBClient, 'send'> = { send: send as DynamoDBClient['send'] };
  return {
    store: createSessionStore({ client: counting, tableName, ttlDays: 30, retryBaseMs: 1, ...storeOptions }),
    reads: () => itemsRead,
    tableName,
  };
}

/** Sends the batch without the withheld puts and reports those as unprocessed. */
async function writeSome(
  command: BatchWriteItemCommand,
  withhold: (item: Item) => boolean,
): Promise<BatchWriteItemCommandOutput> {
  const sent: Record<string, WriteRequest[]> = {};
  const unprocessed: Record<string, WriteRequest[]> = {};
  for (const [table, requests] of Object.entries(command.input.RequestItems ?? {})) {
    for (const request of requests) {
      const target = request.PutRequest?.Item && withhold(request.PutRequest.Item) ? unprocessed : sent;
      target[table] = [...(target[table] ?? []), request];
    }
  }
  if (Object.keys(sent).length > 0) {
    await dynamo.client.send(new BatchWriteItemCommand({ RequestItems: sent }));
  }
  return { UnprocessedItems: unprocessed, $metadata: {} };
}

/** The position of a message in its turn, from its sort key (`MSG#<time>#<random>#<index>`). */
const indexInTurn = (item: Item) => Number(item.sk?.S?.split('#').at(-1));

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ text }] });
const assistant = (text: string): ChatMessage => ({ role: 'assistant', content: [{ text }] });
const toolUse = (id: string, name = 'get_current_time'): ChatMessage => ({
  role: 'assistant',
  content: [{ toolUse: { toolUseId: id, name, input: {} } }],
});
const toolResult = (id: string, size = 10): ChatMessage => ({
  role: 'user',
  content: [{ toolResult: { toolUseId: id, status: 'success', content: [{ text: 'x'.repeat(size) }] } }],
});

describe('DynamoDB session store (dynalite)', () => {
  it('returns a turn’s messages in the order they were appended', async () => {
    const { store } = await freshStore();
    const turn = [user('hi'), toolUse('t1'), toolResult('t1'), assistant('it is noon')];

    await store.append('alice', 's1', turn);

    expect(await store.loadRecent('alice', 's1', 10_000)).toEqual(turn);
  });

  it('knows which sessions exist for which user', async () => {
    const { store } = await freshStore();

    await store.append('alice', 's1', [user('hi'), assistant('hello')]);

    expect(await store.exists('alice', 's1')).toBe(true);
    expect(await store.exists('bob', 's1')).toBe(false);
    expect(await store.loadRecent('bob', 's1', 10_000)).toEqual([]);
  });

  it('keeps only the newest messages that fit the token budget, starting at a user message', async () => {
    const { store } = await freshStore();
    for (let i = 0; i < 5; i++)
      await store.append('alice', 's1', [user(`q${i} ${'.'.repeat(80)}`), assistant(`a${i}`)]);

    const recent = await store.loadRecent('alice', 's1', 60);

    expect(recent[0]?.role).toBe('user');
    expect(recent.at(-1)).toEqual(assistant('a4'));
    expect(recent.length).toBeLessThan(10);
  });

  it('never returns a tool result without the tool use before it', async () => {
    const { store } = await freshStore();
    await store.append('alice', 's1', [
      user('first'),
      toolUse('t9'),
      toolResult('t9', 400),
      assistant('done'),
    ]);
    await store.append('alice', 's1', [user('second'), assistant('ok')]);

    // The budget reaches back past the big tool result but not to the tool use that asked for it.
    const recent = await store.loadRecent('alice', 's1', 140);

    expect(recent).toEqual([user('second'), assistant('ok')]);
  });

  it('reads about as much for a session with 2,000 messages as for a short one', async () => {
    const { store, reads } = await freshStore({ pageSize: 20 });
    const big: ChatMessage[] = [];
    for (let i = 0; i < 1_000; i++) big.push(user(`question ${i}`), assistant(`answer ${i}`));
    await store.append('alice', 'long', big);
    await store.append('alice', 'short', [user('question'), assistant('answer')]);
    const before = reads();

    await store.loadRecent('alice', 'long', 200);

    expect(reads() - before).toBeLessThanOrEqual(40);
  });

  it('treats messages past their TTL as gone even before DynamoDB deletes them', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { store } = await freshStore({ now: () => now });
    await store.append('alice', 's1', [user('old'), assistant('old answer')]);

    now += 31 * 86_400_000;

    expect(await store.exists('alice', 's1')).toBe(false);
    expect(await store.loadRecent('alice', 's1', 10_000)).toEqual([]);
  });

  it('saves and reloads a turn with 20 tool results of 24,000 characters, cutting the largest to fit one item', async () => {
    const { store } = await freshStore();
    const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
    // Quotes, newlines and non-ASCII make the stored JSON bigger than the text: about 30 KB per result, 600 KB in all.
    const bulky = (i: number) => `"line ${i}"\n${'é'.repeat(5_000)}${'x'.repeat(19_000)}`.slice(0, 24_000);
    const turn: ChatMessage[] = [
      user('open twenty files'),
      {
        role: 'assistant',
        content: ids.map((id) => ({ toolUse: { toolUseId: id, name: 'get_file', input: {} } })),
      },
      {
        role: 'user',
        content: ids.map((id, i) => ({
          toolResult: { toolUseId: id, status: 'success', content: [{ text: bulky(i) }] },
        })),
      },
      assistant('all twenty read'),
    ];

    await store.append('alice', 's1', turn);
    const reloaded = await store.loadRecent('alice', 's1', 1_000_000);

    expect(converseHistoryProblems(reloaded)).toEqual([]);
    expect(reloaded).toHaveLength(4);
    const results = reloaded[2]?.content.flatMap((block) =>
      'toolResult' in block ? [block.toolResult] : [],
    );
    expect(results?.map((result) => result.toolUseId)).toEqual(ids);
    for (const result of results ?? []) {
      const [part] = result.content;
      const text = part && 'text' in part ? part.text : '';
      expect(text).toMatch(/^"line \d+"\n/);
      expect(text).toMatch(/\[truncated when saved: kept the first \d+ of 24000 characters\]$/);
    }
    expect(Buffer.byteLength(JSON.stringify(reloaded[2]))).toBeLessThanOrEqual(MAX_STORED_MESSAGE_BYTES);
  });

  it('gives a history Bedrock accepts after throttled batch writes left a tool use without its result', async () => {
    let throttled = true;
    const { store } = await freshStore({ withhold: (item) => throttled && indexInTurn(item) >= 2 });
    const turn = [
      user('open an issue'),
      toolUse('t1', 'create_github_issue'),
      toolResult('t1'),
      assistant('opened #7'),
    ];
    await expect(store.append('alice', 's1', turn)).rejects.toThrow(/unwritten/);
    throttled = false;

    const history = await store.loadRecent('alice', 's1', 10_000);

    expect(converseHistoryProblems(history)).toEqual([]);
    expect(history.slice(0, 2)).toEqual(turn.slice(0, 2));
    expect(JSON.stringify(history[2])).toMatch(/"toolUseId":"t1","status":"error".*not saved/);
  });

  it('gives a history Bedrock accepts when a lost result leaves two assistant messages in a row', async () => {
    let throttled = true;
    const { store } = await freshStore({ withhold: (item) => throttled && indexInTurn(item) === 2 });
    const turn = [user('what time is it'), toolUse('t1'), toolResult('t1'), assistant('noon')];
    await expect(store.append('alice', 's1', turn)).rejects.toThrow(/unwritten/);
    throttled = false;
    await store.append('alice', 's1', [user('and the date?'), assistant('1 January')]);

    const history = await store.loadRecent('alice', 's1', 10_000);

    expect(converseHistoryProblems(history)).toEqual([]);
    expect(history.at(-1)).toEqual(assistant('1 January'));
  });
});
