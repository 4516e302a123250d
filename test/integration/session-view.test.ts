import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../lambdas/agent/model';
import { listSessions, readSession, type SessionViewDeps } from '../../lambdas/chat/session-view';
import { createSessionStore, type SessionStore, sessionKey } from '../../lambdas/sessions/messages';
import { createPendingWriteStore } from '../../lambdas/sessions/pending-writes';
import { createPlanStore } from '../../lambdas/sessions/plans';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

/**
 * The session index the save writes and the read side of the session API (`GET /sessions`, `GET /sessions/{id}`),
 * against dynalite: newest first, caller-scoped, text only, pending plans and writes.
 */

type Command = Parameters<DynamoDBClient['send']>[0];

let dynamo: LocalDynamo;
let tables = 0;
const HOUR = 3_600_000;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.close());

const user = (text: string): ChatMessage => ({ role: 'user', content: [{ text }] });
const assistant = (text: string): ChatMessage => ({ role: 'assistant', content: [{ text }] });

/** Fresh tables, a settable clock, and the commands the store sent. */
async function fresh() {
  const sessionsTable = `sessions-${++tables}`;
  const plansTable = `plans-${tables}`;
  await createAgentTable(dynamo.client, sessionsTable);
  await createAgentTable(dynamo.client, plansTable);
  const clock = { now: Date.UTC(2030, 0, 1) };
  const sent: Command[] = [];
  const recording: Pick<DynamoDBClient, 'send'> = {
    send: ((command: Command) => {
      sent.push(command);
      return dynamo.client.send(command);
    }) as DynamoDBClient['send'],
  };
  const sessions = createSessionStore({
    client: recording,
    tableName: sessionsTable,
    ttlDays: 30,
    now: () => clock.now,
  });
  const plans = createPlanStore({ client: dynamo.client, tableName: plansTable, now: () => clock.now });
  const writes = createPendingWriteStore({
    client: dynamo.client,
    tableName: plansTable,
    now: () => clock.now,
  });
  const deps: SessionViewDeps = { sessions, plans, writes };
  return { sessions, plans, writes, deps, clock, sent, sessionsTable };
}

/** A turn as the chat turn saves it: opened first, then appended with what it opened. */
async function turn(sessions: SessionStore, userId: string, sessionId: string, messages: ChatMessage[]) {
  const previous = await sessions.open(userId, sessionId);
  await sessions.append(userId, sessionId, messages, previous ?? null);
}

describe('session index and session API reads (dynalite)', () => {
  it('lists the caller’s sessions newest first with title, last save and message count', async () => {
    const { sessions, deps, clock } = await fresh();
    await turn(sessions, 'alice', 'older', [user('first question'), assistant('an answer')]);
    clock.now += HOUR;
    await turn(sessions, 'alice', 'newer', [user('second   question\n\twith  spaces'), assistant('ok')]);
    clock.now += HOUR;
    await turn(sessions, 'alice', 'older', [user('follow-up'), assistant('more')]);
    await turn(sessions, 'bob', 'bobs', [user('not for alice'), assistant('no')]);

    const listed = await listSessions(deps, 'alice', 20);

    expect(listed).toEqual({
      sessions: [
        {
          session_id: 'older',
          title: 'first question',
          updated_at: '2030-01-01T02:00:00.000Z',
          message_count: 4,
        },
        {
          session_id: 'newer',
          title: 'second question with spaces',
          updated_at: '2030-01-01T01:00:00.000Z',
          message_count: 2,
        },
      ],
    });
  });

  it('returns at most `limit` sessions, the newest', async () => {
    const { sessions, deps, clock } = await fresh();
    for (const id of ['a', 'b', 'c']) {
      await turn(sessions, 'alice', id, [user(`question ${id}`), assistant('answer')]);
      clock.now += 1000;
    }

    const listed = await listSessions(deps, 'alice', 2);

    expect(listed.sessions.map((session) => session.session_id)).toEqual(['c', 'b']);
  });

  it('leaves expired sessions out of the list', async () => {
    const { sessions, deps, clock } = await fresh();
    await turn(sessions, 'alice', 'old', [user('long ago'), assistant('yes')]);
    clock.now += 31 * 24 * HOUR;
    await turn(sessions, 'alice', 'new', [user('today'), assistant('yes')]);

    const listed = await listSessions(deps, 'alice', 20);

    expect(listed.sessions.map((session) => session.session_id)).toEqual(['new']);
  });

  it('saves a turn whose session it opened in one request: the summary rides in the messages’ batch', async () => {
    const { sessions, sent } = await fresh();
    await turn(sessions, 'alice', 's1', [user('hi'), assistant('hello')]);
    const previous = await sessions.open('alice', 's1');
    sent.length = 0;

    await sessions.append('alice', 's1', [user('again'), assistant('hello again')], previous ?? null);

    expect(sent.map((command) => command.constructor.name)).toEqual(['BatchWriteItemCommand']);
    expect((await sessions.open('alice', 's1'))?.messageCount).toBe(4);
  });

  it('keeps the index right for a save that does not know the session (an UpdateItem adds to the count)', async () => {
    const { sessions, sent } = await fresh();
    await sessions.append('alice', 's1', [user('hi'), assistant('hello')]);
    await sessions.append('alice', 's1', [user('again'), assistant('hello again')]);

    const summary = await sessions.open('alice', 's1');

    expect(summary).toMatchObject({ sessionId: 's1', title: 'hi', messageCount: 4 });
    expect(sent.some((command) => command instanceof UpdateItemCommand)).toBe(true);
  });

  it('titles a session by its first user text once there is one (a consent-only first turn saves none)', async () => {
    const { sessions } = await fresh();
    await turn(sessions, 'alice', 's1', []);
    await turn(sessions, 'alice', 's1', [user('list my repos'), assistant('here they are')]);
    await turn(sessions, 'alice', 's1', [user('and now the issues'), assistant('done')]);

    expect((await sessions.open('alice', 's1'))?.title).toBe('list my repos');
  });

  it('still finds a session saved before the index existed (its META item)', async () => {
    const { sessions, sessionsTable } = await fresh();
    await dynamo.client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [sessionsTable]: [
            {
              PutRequest: {
                Item: {
                  pk: { S: sessionKey('alice', 'legacy') },
                  sk: { S: 'MSG#000001893456000000#abcd#000' },
                  role: { S: 'user' },
                  body: { S: JSON.stringify(user('from before')) },
                  expires_at: { N: String(Date.UTC(2030, 0, 20) / 1000) },
                },
              },
            },
          ],
        },
      }),
    );
    await dynamo.client.send(
      new PutItemCommand({
        TableName: sessionsTable,
        Item: {
          pk: { S: sessionKey('alice', 'legacy') },
          sk: { S: 'META' },
          created_at: { S: '2029-12-31T00:00:00.000Z' },
          updated_at: { S: '2029-12-31T00:00:00.000Z' },
          message_count: { N: '1' },
          expires_at: { N: String(Date.UTC(2030, 0, 20) / 1000) },
        },
      }),
    );

    expect(await sessions.open('alice', 'legacy')).toMatchObject({ sessionId: 'legacy', messageCount: 1 });
    expect(await sessions.loadRecent('alice', 'legacy', 10_000)).toEqual([
      user('from before'),
      expect.objectContaining({ role: 'assistant' }),
    ]);
  });

  it('reads a session as text only, with its pending plans and writes', async () => {
    const { sessions, plans, writes, deps, clock } = await fresh();
    await turn(sessions, 'alice', 's1', [
      user('what time is it?'),
      {
        role: 'assistant',
        content: [
          { text: 'Let me check.' },
          { toolUse: { toolUseId: 't1', name: 'get_current_time', input: {} } },
        ],
      },
      {
        role: 'user',
        content: [{ toolResult: { toolUseId: 't1', status: 'success', content: [{ text: 'noon' }] } }],
      },
      assistant('It is noon.'),
    ]);
    const at = new Date(clock.now).toISOString();
    await plans.create({
      userId: 'alice',
      planId: 'p_plan1',
      sessionId: 's1',
      status: 'pending',
      plan: { objective: 'Review', steps: ['Read'], risks: [], estimated_time_minutes: 5 },
      ref: { owner: 'octo', repo: 'widgets', number: 7 },
      title: 'Add a widget',
      headSha: 'a'.repeat(40),
      createdAt: at,
      updatedAt: at,
      expiresAt: clock.now / 1000 + 3600,
    });
    await writes.create({
      userId: 'alice',
      actionId: 'w_write1',
      sessionId: 's1',
      toolName: 'create_github_issue',
      toolInput: { owner: 'octo', repo: 'widgets', title: 'A bug' },
      summary: 'Create issue "A bug" in octo/widgets',
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      expiresAt: clock.now / 1000 + 3600,
    });

    const session = await readSession(deps, 'alice', 's1');

    expect(session).toEqual({
      session_id: 's1',
      messages: [
        { role: 'user', text: 'what time is it?' },
        { role: 'assistant', text: 'Let me check.\n\nIt is noon.' },
      ],
      pending: [
        { kind: 'plan', id: 'p_plan1', summary: 'review of octo/widgets#7 Add a widget' },
        { kind: 'write', id: 'w_write1', summary: 'Create issue "A bug" in octo/widgets' },
      ],
    });
  });

  it('reads nothing of another user’s session', async () => {
    const { sessions, deps } = await fresh();
    await turn(sessions, 'bob', 'shared-id', [user('bob’s secret'), assistant('kept')]);

    expect(await readSession(deps, 'alice', 'shared-id')).toBeUndefined();
    expect((await listSessions(deps, 'alice', 20)).sessions).toEqual([]);
  });
});
