import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../lambdas/agent/events';
import type { ModelPort } from '../../lambdas/agent/model';
import { runPlanCommand } from '../../lambdas/review/commands';
import { PlanConflictError } from '../../lambdas/review/errors';
import type { ReviewDeps } from '../../lambdas/review/ports';
import { approvePlan, cancelPlan, planReview } from '../../lambdas/review/workflow';
import { createPlanStore } from '../../lambdas/sessions/plans';
import { createAgentTable, type LocalDynamo, startDynalite } from '../support/dynalite';
import {
  createFakeGitHub,
  createScriptedModel,
  type FakeGitHub,
  isChunkRequest,
  prFile,
  serverError,
  VALID_PLAN,
} from '../support/review-fakes';

/**
 * A function that dies mid-review (issue 8, item 6), against the DynamoDB plan store on dynalite. "Killed" is a run
 * that claimed the plan and then never returns: its model call (or its post) never answers. The clock is injected.
 */

const USER = 'user-1';
const SESSION = 'session-1';
const REF = { owner: 'octo', repo: 'widgets', number: 12 };
const START = Date.parse('2030-01-01T00:00:00Z');
/** The default lease (ReviewSettings.leaseSeconds) plus a second. */
const PAST_THE_LEASE = 301_000;

let dynamo: LocalDynamo;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.close());

interface Harness {
  deps: ReviewDeps;
  github: FakeGitHub;
  clock: { now: number };
  events: ChatEvent[];
  /** Makes the next review model call (or post) hang; resolves once a run is stuck in it, with a way to let it go. */
  hangNext(where: 'model' | 'post'): Promise<() => void>;
}

async function harness(): Promise<Harness> {
  const tableName = `plans-lease-${++tables}`;
  await createAgentTable(dynamo.client, tableName);
  const clock = { now: START };
  const github = createFakeGitHub({ files: [prFile('agent-tasks/runner.ts', ['+export const run = 1;'])] });
  const scripted = createScriptedModel((request) =>
    isChunkRequest(request)
      ? JSON.stringify({
          findings: [
            { path: 'agent-tasks/runner.ts', line: 1, side: 'RIGHT', severity: 'minor', message: 'Name it' },
          ],
        })
      : VALID_PLAN,
  );
  let hang: { where: 'model' | 'post'; entered: () => void; gate: Promise<void> } | undefined;
  const stall = async (where: 'model' | 'post') => {
    if (hang?.where !== where) return;
    const { entered, gate } = hang;
    hang = undefined;
    entered();
    await gate;
  };
  const model: ModelPort = {
    async *stream(request) {
      if (isChunkRequest(request)) await stall('model');
      yield* scripted.stream(request);
    },
  };
  const create = github.createReview.bind(github);
  github.createReview = async (ref, review) => {
    const posted = await create(ref, review);
    await stall('post');
    return posted;
  };
  let ids = 0;
  return {
    github,
    clock,
    events: [],
    deps: {
      github,
      plans: createPlanStore({ client: dynamo.client, tableName, now: () => clock.now }),
      model,
      now: () => new Date(clock.now),
      newId: () => `plan-${++ids}`,
      settings: {
        pathPrefixes: ['agent-tasks/'],
        planTtlHours: 24,
        chunkTokenBudget: 6000,
        maxOutputTokens: 2000,
      },
    },
    hangNext: (where) =>
      new Promise((stuck) => {
        let release = () => {};
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        hang = { where, gate, entered: () => stuck(release) };
      }),
  };
}

async function planned(h: Harness): Promise<string> {
  const result = await planReview(h.deps, { userId: USER, sessionId: SESSION, ref: REF });
  if (result.outcome !== 'planned') throw new Error('expected a plan');
  return result.planId;
}

const approve = (h: Harness, planId: string) =>
  approvePlan(h.deps, { userId: USER, planId, emit: (event) => h.events.push(event) });

/** Starts a review that dies at `where`: the run claims the plan, then never comes back. */
async function killedMidReview(h: Harness, planId: string, where: 'model' | 'post') {
  const stuck = h.hangNext(where);
  const run = approve(h, planId);
  const release = await stuck;
  return { run, release };
}

describe('a review whose function died mid-run (lease on the plan)', () => {
  it('refuses a re-approve while the lease runs, then restarts the review and posts exactly one', async () => {
    const h = await harness();
    const planId = await planned(h);
    const killed = await killedMidReview(h, planId, 'model');
    expect((await h.deps.plans.get(USER, planId)).status).toBe('executing');

    const tooEarly = approve(h, planId);
    await expect(tooEarly).rejects.toBeInstanceOf(PlanConflictError);
    await expect(tooEarly).rejects.toThrow(
      /is running .*approve it again to restart it or cancel it from 2030-01-01 00:05:00 UTC/,
    );

    h.clock.now += PAST_THE_LEASE;
    const restarted = await approve(h, planId);

    expect(restarted).toMatchObject({ outcome: 'completed' });
    expect(h.github.posted).toHaveLength(1);
    expect(await h.deps.plans.get(USER, planId)).toMatchObject({ status: 'completed' });
    expect(
      h.events.find((event) => event.type === 'status' && /Restarting/.test(event.current_step)),
    ).toBeDefined();

    // The killed run comes back to life: its lease is gone, so it stops without posting or touching the plan.
    killed.release();
    expect(await killed.run).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/stopped without posting/),
    });
    expect(h.github.posted).toHaveLength(1);
    expect(await h.deps.plans.get(USER, planId)).toMatchObject({ status: 'completed' });
  });

  it('reports the review a run posted just before it died instead of posting it again', async () => {
    const h = await harness();
    const planId = await planned(h);
    await killedMidReview(h, planId, 'post');
    expect(h.github.posted).toHaveLength(1);
    h.clock.now += PAST_THE_LEASE;

    // A plain "approve": the stuck plan is the session's only candidate.
    const reply = await runPlanCommand(h.deps, {
      userId: USER,
      sessionId: SESSION,
      command: { type: 'approve' },
      emit: (event) => h.events.push(event),
    });

    expect(reply).toMatch(/had already been posted .*pullrequestreview-1\. Nothing was posted again/);
    expect(h.github.posted).toHaveLength(1);
    expect(h.events.filter((event) => event.type === 'review_posted')).toHaveLength(1);
    expect(await h.deps.plans.get(USER, planId)).toMatchObject({
      status: 'completed',
      reviewUrl: expect.stringContaining('pullrequestreview-1'),
    });
  });

  it('cancels a plan whose lease lapsed (not before), and the killed run then posts nothing', async () => {
    const h = await harness();
    const planId = await planned(h);
    const killed = await killedMidReview(h, planId, 'model');

    await expect(cancelPlan(h.deps, { userId: USER, planId })).rejects.toThrow(/is running/);
    h.clock.now += PAST_THE_LEASE;
    const cancelled = await cancelPlan(h.deps, { userId: USER, planId });

    expect(cancelled.outcome).toBe('cancelled');
    killed.release();
    expect(await killed.run).toMatchObject({ outcome: 'failed' });
    expect(h.github.posted).toHaveLength(0);
    expect((await h.deps.plans.get(USER, planId)).status).toBe('cancelled');
  });

  it('posts nothing when a restart cannot check the PR for the earlier review, and can be retried at once', async () => {
    const h = await harness();
    const planId = await planned(h);
    await killedMidReview(h, planId, 'model');
    h.clock.now += PAST_THE_LEASE;
    h.github.findFailures.push(serverError(502));

    const unchecked = await approve(h, planId);
    const retried = await approve(h, planId);

    expect(unchecked).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/not restarted and nothing was posted/),
    });
    expect(retried).toMatchObject({ outcome: 'completed' });
    expect(h.github.posted).toHaveLength(1);
  });
});
