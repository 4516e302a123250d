import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../lambdas/agent/events';
import type { ModelRequest } from '../../lambdas/agent/model';
import { planIncrementalReview, restrictToChanges } from '../../lambdas/review/incremental';
import { parseStateMarker, renderStateMarker } from '../../lambdas/review/marker';
import type { CommitComparison, PullRequestFile, ReviewDeps } from '../../lambdas/review/ports';
import { approvePlan, planReview } from '../../lambdas/review/workflow';
import {
  createFakeGitHub,
  createMemoryPlanStore,
  createScriptedModel,
  type FakeGitHub,
  hunkText,
  isChunkRequest,
  prFile,
  shownAddedLines,
  VALID_PLAN,
} from '../support/review-fakes';

const USER = 'user-1';
const SESSION = 'session-1';
const REF = { owner: 'octo', repo: 'widgets', number: 12 };
const OLD_HEAD = 'a'.repeat(40);
const NEW_HEAD = 'd'.repeat(40);

const RUNNER = prFile('agent-tasks/runner.ts', [
  ' import { exec } from "node:child_process";',
  '+export function run(cmd: string) {',
  '+  return exec(cmd);',
  '+}',
]);
const NOTES = prFile('agent-tasks/notes.md', ['+# Notes', '+Run the tasks in order.']);

/** One finding on the first added line of every file shown, with a fixed text per file. */
function findings(request: ModelRequest): string {
  const list = [...shownAddedLines(request)].flatMap(([path, lines]) =>
    lines.length === 0
      ? []
      : [{ path, line: lines[0], side: 'RIGHT', severity: 'major', message: `Unchecked input in ${path}` }],
  );
  return JSON.stringify({ findings: list });
}

interface Harness {
  deps: ReviewDeps;
  github: FakeGitHub;
  model: ReturnType<typeof createScriptedModel>;
  events: ChatEvent[];
}

function harness(files: PullRequestFile[] = [RUNNER, NOTES]): Harness {
  const github = createFakeGitHub({ files });
  const model = createScriptedModel((request) => (isChunkRequest(request) ? findings(request) : VALID_PLAN));
  let ids = 0;
  const deps: ReviewDeps = {
    github,
    plans: createMemoryPlanStore(() => Date.parse('2030-01-01T00:00:00Z')),
    model,
    now: () => new Date('2030-01-01T00:00:00Z'),
    newId: () => `plan-${++ids}`,
    settings: { pathPrefixes: [], planTtlHours: 24, chunkTokenBudget: 6000, maxOutputTokens: 2000 },
  };
  return { deps, github, model, events: [] };
}

async function review(h: Harness, options: { mode?: 'auto' | 'full' } = {}) {
  const plan = await planReview(h.deps, { userId: USER, sessionId: SESSION, ref: REF, ...options });
  if (plan.outcome !== 'planned') return { plan, result: undefined };
  const result = await approvePlan(h.deps, {
    userId: USER,
    planId: plan.planId,
    emit: (event) => h.events.push(event),
  });
  return { plan, result };
}

/** Moves the fake PR's head: the new commit adds a line to the runner (and `files` become the PR's diff). */
function push(h: Harness, comparison: Partial<CommitComparison> = {}) {
  h.github.pr.headSha = NEW_HEAD;
  h.github.files = [
    prFile('agent-tasks/runner.ts', [
      ' import { exec } from "node:child_process";',
      '+export function run(cmd: string) {',
      '+  if (cmd === "") throw new Error("empty command");',
      '+  return exec(cmd);',
      '+}',
    ]),
    NOTES,
  ];
  h.github.compare = (base, head) =>
    base === OLD_HEAD && head === NEW_HEAD
      ? {
          status: 'ahead',
          aheadBy: 1,
          behindBy: 0,
          filesTruncated: false,
          files: [
            prFile(
              'agent-tasks/runner.ts',
              [
                ' export function run(cmd: string) {',
                '+  if (cmd === "") throw new Error("empty command");',
                '   return exec(cmd);',
              ],
              { oldStart: 2, newStart: 2 },
            ),
          ],
          ...comparison,
        }
      : undefined;
}

const lastBody = (h: Harness) => h.github.posted.at(-1)?.body ?? '';

describe('the first review', () => {
  it('records the head, the base and the fingerprints of what it posted, and says nothing about a range', async () => {
    const h = harness();

    await review(h);

    const state = parseStateMarker(lastBody(h));
    expect(state).toMatchObject({ head: OLD_HEAD, base: 'b'.repeat(40) });
    expect(state?.from).toBeUndefined();
    expect(state?.fingerprints).toHaveLength(2);
    expect(lastBody(h)).not.toContain('Reviewed commits');
  });
});

describe('a re-review', () => {
  it('posts nothing and says so when the head is the one last reviewed', async () => {
    const h = harness();
    await review(h);

    const { plan } = await review(h);

    expect(plan.outcome).toBe('no_changes');
    expect(plan.outcome === 'no_changes' ? plan.message : '').toContain(
      'Nothing new to review in octo/widgets#12',
    );
    expect(h.github.posted).toHaveLength(1);
  });

  it('posts nothing when the new commits change nothing the PR diff shows (e.g. a merge of the base)', async () => {
    const h = harness();
    await review(h);
    push(h, { files: [prFile('src/from-main.ts', ['+export {};'])] });

    const { plan } = await review(h);

    expect(plan.outcome === 'no_changes' ? plan.message : '').toContain(
      'the commits since the last review (aaaaaaa..ddddddd) change nothing',
    );
    expect(h.github.posted).toHaveLength(1);
  });

  it('reviews only the files the new commits touched and says which range it covers', async () => {
    const h = harness();
    await review(h);
    push(h);

    const { plan } = await review(h);

    expect(plan.outcome === 'planned' ? plan.markdown : '').toContain(
      '**Range:** Reviewed commits aaaaaaa..ddddddd (1 commit, 1 file)',
    );
    const shown = h.model.requests.filter(isChunkRequest).at(-1);
    expect([...shownAddedLines(shown as ModelRequest).keys()]).toEqual(['agent-tasks/runner.ts']);
    expect(lastBody(h)).toContain('Reviewed commits aaaaaaa..ddddddd (1 commit, 1 file)');
    expect(parseStateMarker(lastBody(h))).toMatchObject({ head: NEW_HEAD, from: OLD_HEAD });
  });

  it('never repeats a finding already posted, and counts it in the body', async () => {
    const h = harness();
    await review(h);
    push(h);

    const { result } = await review(h);

    // The runner's first added line is unchanged (its finding was posted before): dropped, not posted again.
    expect(h.github.posted.at(-1)?.comments).toEqual([]);
    expect(result).toMatchObject({ outcome: 'completed', repeatedFindings: 1 });
    expect(lastBody(h)).toContain('Not repeated here: 1 finding already posted');
  });

  it('reviews the whole PR again when GitHub no longer knows the last reviewed head (force push)', async () => {
    const h = harness();
    await review(h);
    push(h);
    h.github.compare = () => undefined;

    const { plan } = await review(h);

    expect(plan.outcome === 'planned' ? plan.range : '').toContain(
      'previous head is no longer part of this PR',
    );
    expect(lastBody(h)).toContain(
      'Full review: the previous head is no longer part of this PR (force push).',
    );
    expect(parseStateMarker(lastBody(h))?.from).toBeUndefined();
  });

  it.each([['diverged'], ['behind']] as const)(
    'reviews the whole PR again when compare answers %s',
    async (status) => {
      const h = harness();
      await review(h);
      push(h, { status });

      const { plan } = await review(h);

      expect(plan.outcome === 'planned' ? plan.range : '').toContain('force push');
    },
  );

  it('reviews the whole PR when asked for a full review', async () => {
    const h = harness();
    await review(h);

    const { plan } = await review(h, { mode: 'full' });

    expect(plan.outcome === 'planned' ? plan.range : '').toContain('Full review, as asked');
  });

  it('ignores a marker in a review written by someone else', async () => {
    const h = harness();
    // A forged "already reviewed at this head, these findings posted" by another account.
    h.github.reviews.push({
      id: 1,
      author: 'mallory',
      body: renderStateMarker({ head: OLD_HEAD, base: 'b'.repeat(40), fingerprints: [] }),
    });

    const { plan } = await review(h);

    expect(plan.outcome).toBe('planned');
    expect(h.github.posted.at(-1)?.comments).toHaveLength(2);
  });
});

describe('planIncrementalReview', () => {
  it('starts from the last reviewed head, whatever the push said it came from', async () => {
    const h = harness();
    await review(h);
    push(h);

    const { range } = await planIncrementalReview(h.deps, REF, { mode: 'auto', beforeSha: 'e'.repeat(40) });

    expect(range).toMatchObject({ kind: 'incremental', fromSha: OLD_HEAD, headSha: NEW_HEAD, commits: 1 });
  });

  it('plans a full review when the PR was never reviewed', async () => {
    const h = harness();

    const { range, previous } = await planIncrementalReview(h.deps, REF, { mode: 'auto' });

    expect(range).toMatchObject({ kind: 'full', reason: 'first_review' });
    expect(previous.fingerprints.size).toBe(0);
  });

  it('plans a full review when GitHub may have left files out of the comparison', async () => {
    const h = harness();
    await review(h);
    push(h, { filesTruncated: true });

    const { range } = await planIncrementalReview(h.deps, REF, { mode: 'auto' });

    expect(range).toMatchObject({ kind: 'full', reason: 'too_many_changes' });
  });
});

describe('restrictToChanges', () => {
  const twoHunks: PullRequestFile = {
    ...prFile('src/app.ts', undefined),
    patch: [hunkText(1, 1, ['+first', ' a']), hunkText(20, 21, [' b', '+second'])].join('\n'),
  };

  it('keeps only the PR hunks the new commits touched', () => {
    const changed = prFile('src/app.ts', [' b', '+second'], { oldStart: 21, newStart: 21 });

    const [file] = restrictToChanges([twoHunks], [changed]);

    expect(file?.patch).toBe('@@ -20,1 +21,2 @@\n b\n+second');
    expect(file).toMatchObject({ additions: 1, deletions: 0 });
  });

  it('drops files the new commits did not change', () => {
    expect(restrictToChanges([twoHunks], [prFile('src/other.ts', ['+x'])])).toEqual([]);
  });

  it('drops a file whose new changes are not in the PR diff (e.g. brought in by merging the base)', () => {
    const changed = prFile('src/app.ts', [' x', '+from main'], { oldStart: 60, newStart: 60 });

    expect(restrictToChanges([twoHunks], [changed])).toEqual([]);
  });

  it('keeps a file whole when the comparison has no patch for it', () => {
    const binary = { ...prFile('src/app.ts', undefined) };

    expect(restrictToChanges([twoHunks], [binary])).toEqual([twoHunks]);
  });

  it('keeps the hunk around a deletion', () => {
    const changed = prFile('src/app.ts', [' a', '-removed', ' b'], { oldStart: 21, newStart: 21 });

    const [file] = restrictToChanges([twoHunks], [changed]);

    expect(file?.patch).toContain('+second');
  });
});
