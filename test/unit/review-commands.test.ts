import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../lambdas/agent/events';
import { parsePlanCommand, runPlanCommand } from '../../lambdas/review/commands';
import type { ReviewDeps } from '../../lambdas/review/ports';
import { planReview } from '../../lambdas/review/workflow';
import {
  createFakeGitHub,
  createMemoryPlanStore,
  createScriptedModel,
  type FakeGitHub,
  prFile,
  VALID_PLAN,
} from '../support/review-fakes';

const USER = 'user-1';
const SESSION = 'session-1';

function harness(): { deps: ReviewDeps; github: FakeGitHub; events: ChatEvent[] } {
  const github = createFakeGitHub({ files: [prFile('agent-tasks/a.ts', ['+const a = 1;'])] });
  let ids = 0;
  const deps: ReviewDeps = {
    github,
    plans: createMemoryPlanStore(),
    model: createScriptedModel((request) =>
      request.system.startsWith('You plan') ? VALID_PLAN : '{"findings": []}',
    ),
    now: () => new Date(),
    newId: () => `p_${++ids}`,
    settings: { pathPrefixes: [], planTtlHours: 24, chunkTokenBudget: 6000, maxOutputTokens: 1000 },
  };
  return { deps, github, events: [] };
}

async function plan(deps: ReviewDeps, sessionId = SESSION, number = 12): Promise<string> {
  const result = await planReview(deps, {
    userId: USER,
    sessionId,
    ref: { owner: 'octo', repo: 'w', number },
  });
  if (result.outcome !== 'planned') throw new Error('expected a plan');
  return result.planId;
}

const run = (h: ReturnType<typeof harness>, command: Parameters<typeof parsePlanCommand>[0]) =>
  runPlanCommand(h.deps, {
    userId: USER,
    sessionId: SESSION,
    command: parsePlanCommand(command) ?? { type: 'approve' },
    emit: (event) => h.events.push(event),
  });

describe('parsePlanCommand', () => {
  it.each([
    ['approve', { type: 'approve' }],
    ['  Cancel. ', { type: 'cancel' }],
    ['approve p_abc-1', { type: 'approve', planId: 'p_abc-1' }],
    ['cancel plan p_9', { type: 'cancel', planId: 'p_9' }],
  ])('reads %j as a command', (message, command) => {
    expect(parsePlanCommand(message)).toEqual(command);
  });

  it.each(['approve the second one please', 'can you cancel my order?', 'approved'])(
    'leaves %j to the model',
    (message) => {
      expect(parsePlanCommand(message)).toBeUndefined();
    },
  );

  it('accepts exactly the phrases the former single regex accepted', () => {
    // The former pattern, kept as the oracle for short inputs (it is quadratic on long ones).
    const former = /^\s*(approve|cancel)(?:\s+(?:plan\s+)?([A-Za-z0-9_-]{1,64}))?\s*[.!]?\s*$/i;
    const expected = (message: string) => {
      const match = former.exec(message);
      if (!match) return undefined;
      const type = match[1]?.toLowerCase() === 'approve' ? 'approve' : 'cancel';
      return match[2] === undefined ? { type } : { type, planId: match[2] };
    };
    const pieces = ['approve', 'CANCEL', 'plan', 'p_1', 'x'.repeat(65), '.', '!', ' ', '\n', '\u00a0', '#'];
    const messages = pieces.flatMap((a) => pieces.flatMap((b) => pieces.map((c) => `${a}${b}${c}`)));
    const withFour = messages.flatMap((message) => pieces.map((d) => `${message}${d}`));

    const differing = withFour.filter(
      (message) => JSON.stringify(parsePlanCommand(message)) !== JSON.stringify(expected(message)),
    );

    expect(differing).toEqual([]);
  });

  // Every chat message goes through this parser: its cost must not grow faster than the message.
  it.each([
    ['"approve" + 32,000 spaces + "#"', `approve${' '.repeat(32_000)}#`],
    ['"cancel plan " + 16,000 blank lines + "#"', `cancel plan ${'\n\n'.repeat(16_000)}#`],
  ])('reads %s in linear time (under 100 ms)', (_name, message) => {
    const started = performance.now();
    const command = parsePlanCommand(message);
    const elapsed = performance.now() - started;

    expect(command).toBeUndefined();
    expect(elapsed).toBeLessThan(100);
  });
});

describe('runPlanCommand', () => {
  it('approves the only pending plan of the session and posts one review', async () => {
    const h = harness();
    await plan(h.deps);

    const reply = await run(h, 'approve');

    expect(reply).toContain('Review posted');
    expect(h.github.posted).toHaveLength(1);
    expect(h.events.some((event) => event.type === 'review_posted')).toBe(true);
  });

  it('says so when nothing is pending, and changes nothing', async () => {
    const h = harness();

    const reply = await run(h, 'approve');

    expect(reply).toContain('no review plan waiting');
    expect(h.github.posted).toHaveLength(0);
  });

  it('asks which plan when several are pending, listing them', async () => {
    const h = harness();
    const first = await plan(h.deps, SESSION, 12);
    const second = await plan(h.deps, SESSION, 13);

    const reply = await run(h, 'cancel');

    expect(reply).toContain(first);
    expect(reply).toContain(second);
    expect(await h.deps.plans.listPending(USER, SESSION)).toHaveLength(2);
  });

  it('cancels the named plan', async () => {
    const h = harness();
    const planId = await plan(h.deps);

    const reply = await run(h, `cancel ${planId}`);

    expect(reply).toContain('Cancelled');
    expect((await h.deps.plans.get(USER, planId)).status).toBe('cancelled');
  });

  it("refuses a plan from another of the user's conversations", async () => {
    const h = harness();
    const elsewhere = await plan(h.deps, 'other-session');

    await run(h, `approve ${elsewhere}`);

    expect(h.events).toContainEqual(expect.objectContaining({ type: 'error', code: 'plan_not_found' }));
    expect((await h.deps.plans.get(USER, elsewhere)).status).toBe('pending');
    expect(h.github.posted).toHaveLength(0);
  });

  it('shows the message of an identity failure before the review starts, and keeps the plan pending', async () => {
    const h = harness();
    const planId = await plan(h.deps);
    const message = 'The workload identity "agent" was not found in us-east-1; check WORKLOAD_IDENTITY_NAME.';
    h.github.nextGetFailure = Object.assign(new Error(message), { name: 'IdentityError' });

    const reply = await run(h, 'approve');

    expect(h.events).toEqual([
      { type: 'error', code: 'review_failed', message: expect.stringContaining(message) },
    ]);
    expect(reply).toContain(`plan ${planId} is still pending`);
    expect((await h.deps.plans.get(USER, planId)).status).toBe('pending');
  });
});
