import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../lambdas/agent/model';
import { createSessionStore, type SessionStore } from '../../lambdas/sessions/messages';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

let dynamo: LocalDynamo;
let tableCount = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});

/** A fresh table per test, so tests never see each other's items. */
async function freshStore(options: { now?: () => number; pageSize?: number } = {}): Promise<{
  store: SessionStore;
  reads: () => number;
}> {
  const tableName = `sessions-${++tableCount}`;
  await createAgentTable(dynamo.client, tableName);
  let itemsRead = 0;
  const counting: Pick<DynamoDBClient, 'send'> = {
    send: (async (command: Parameters<DynamoDBClient['send']>[0]) => {
      const output = (await dynamo.client.send(command)) as { Items?: unknown[] };
      itemsRead += output.Items?.length ?? 0;
      return output;
    }) as DynamoDBClient['send'],
  };
  return {
    store: createSessionStore({ client: counting, tableName, ttlDays: 30, ...options }),
    reads: () => itemsRead,
  };
}

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ text }] });
const assistant = (text: string): ChatMessage => ({ role: 'assistant', content: [{ text }] });
const toolUse = (id: string): ChatMessage => ({
  role: 'assistant',
  content: [{ toolUse: { toolUseId: id, name: 'get_current_time', input: {} } }],
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
});
