import { type DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsentBindings } from '../../lambdas/sessions/consents';
import { createSessionStore } from '../../lambdas/sessions/messages';
import { createPlanStore } from '../../lambdas/sessions/plans';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';

/**
 * Every read that follows our own write in one user flow (a session made by the previous turn, a plan just created or
 * claimed, a consent just started) must be strongly consistent: an eventually consistent read may miss it.
 */

type Command = Parameters<DynamoDBClient['send']>[0];

let dynamo: LocalDynamo;
const sent: Command[] = [];
const recording: Pick<DynamoDBClient, 'send'> = {
  send: ((command: Command) => {
    sent.push(command);
    return dynamo.client.send(command);
  }) as DynamoDBClient['send'],
};

beforeAll(async () => {
  dynamo = await startDynalite();
  await createAgentTable(dynamo.client, 'sessions');
  await createAgentTable(dynamo.client, 'plans');
});
afterAll(() => dynamo.close());

/** The reads sent while `act` ran, with whether each asked for a consistent read. */
async function readsDuring(
  act: () => Promise<unknown>,
): Promise<Array<{ read: string; consistent: boolean }>> {
  sent.length = 0;
  await act();
  return sent.flatMap((command) =>
    command instanceof GetItemCommand || command instanceof QueryCommand
      ? [{ read: command.constructor.name, consistent: command.input.ConsistentRead === true }]
      : [],
  );
}

describe('consistent reads after our own writes', () => {
  it('reads session existence and history consistently', async () => {
    const sessions = createSessionStore({ client: recording, tableName: 'sessions', ttlDays: 30 });
    await sessions.append('alice', 's1', [
      { role: 'user', content: [{ text: 'hi' }] },
      { role: 'assistant', content: [{ text: 'hello' }] },
    ]);

    const reads = await readsDuring(() =>
      Promise.all([sessions.exists('alice', 's1'), sessions.loadRecent('alice', 's1', 10_000)]),
    );

    expect(reads).toEqual([
      { read: 'GetItemCommand', consistent: true },
      { read: 'QueryCommand', consistent: true },
    ]);
  });

  it('reads plans consistently', async () => {
    const plans = createPlanStore({ client: recording, tableName: 'plans' });
    const at = new Date().toISOString();
    await plans.create({
      userId: 'alice',
      planId: 'p1',
      sessionId: 's1',
      status: 'pending',
      plan: { objective: 'Review', steps: ['Read'], risks: [], estimated_time_minutes: 5 },
      ref: { owner: 'octo', repo: 'widgets', number: 1 },
      title: 'A change',
      headSha: 'a'.repeat(40),
      createdAt: at,
      updatedAt: at,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });

    const reads = await readsDuring(async () => {
      await plans.get('alice', 'p1');
      await plans.listPending('alice', 's1');
      await plans.listRunning('alice', 's1');
      // A refused transition reads the plan back to say why.
      await plans.transition('alice', 'p1', { from: ['executing'], to: 'completed' }).catch(() => undefined);
    });

    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(reads.filter((read) => !read.consistent)).toEqual([]);
  });

  it('reads a consent binding consistently', async () => {
    const consents = createConsentBindings({ client: recording, tableName: 'sessions' });
    await consents.remember('alice', 'urn:session', 'state');

    const reads = await readsDuring(() => consents.verify('alice', 'urn:session', 'state'));

    expect(reads).toEqual([{ read: 'GetItemCommand', consistent: true }]);
  });
});
