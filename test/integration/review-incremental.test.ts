import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../lambdas/agent/model';
import { createGitHubAccess } from '../../lambdas/github/access';
import { createOctokit } from '../../lambdas/github/client';
import { createStaticTokenPort } from '../../lambdas/identity/static-token';
import { createReviewGitHub } from '../../lambdas/review/github-adapter';
import { parseStateMarker, renderStateMarker } from '../../lambdas/review/marker';
import type { ReviewDeps } from '../../lambdas/review/ports';
import { approvePlan, planReview } from '../../lambdas/review/workflow';
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_TOKEN,
  startGitHubStandin,
} from '../support/github-standin';
import {
  createMemoryPlanStore,
  createScriptedModel,
  isChunkRequest,
  shownAddedLines,
  VALID_PLAN,
} from '../support/review-fakes';

/**
 * Incremental re-review against the GitHub stand-in: the real review adapter (GET /user, list reviews, compare,
 * create review; every request validated against GitHub's OpenAPI description) and commits pushed to the sample PR.
 */

const REF = { owner: 'sample-dev', repo: 'widgets', number: 4 };
const PULL = { repo: 'sample-dev/widgets', number: 4 };
const CONFIG = [
  "import { readFileSync } from 'node:fs';",
  '',
  'export interface Config {',
  '  name: string;',
  '  port: number;',
  '}',
  '',
  'export function loadConfig(raw: string): Config {',
  '  const parsed: unknown = JSON.parse(raw);',
  '  return parsed as Config;',
  '}',
];

let github: GitHubStandin;
let model: ReturnType<typeof createScriptedModel>;
let deps: ReviewDeps;

/** One finding on the first added line of every file shown, with a fixed text per file. */
function findings(request: ModelRequest): string {
  const list = [...shownAddedLines(request)].flatMap(([path, lines]) =>
    lines.length === 0
      ? []
      : [{ path, line: lines[0], side: 'RIGHT', severity: 'minor', message: `Needs a test: ${path}` }],
  );
  return JSON.stringify({ findings: list });
}

beforeEach(async () => {
  github = await startGitHubStandin();
  model = createScriptedModel((request) => (isChunkRequest(request) ? findings(request) : VALID_PLAN));
  const access = createGitHubAccess({
    tokenPort: createStaticTokenPort({ token: SAMPLE_TOKEN }),
    userId: 'user-1',
    octokitFactory: (token) => createOctokit({ token, baseUrl: github.url, ...fastOctokitOptions() }),
  });
  let ids = 0;
  deps = {
    github: createReviewGitHub(access),
    plans: createMemoryPlanStore(),
    model,
    now: () => new Date(),
    newId: () => `plan-${++ids}`,
    settings: { pathPrefixes: [], planTtlHours: 24, chunkTokenBudget: 6000, maxOutputTokens: 2000 },
  };
  // The config file as real content, so the PR's diff of it comes from the stand-in's history.
  github.pushCommit(PULL, { 'src/config.ts': `${CONFIG.join('\n')}\n` }, 'Parse the config as unknown');
});

afterEach(async () => {
  github.assertNoViolations();
  await github.close();
});

/** Plans and approves a review of the sample PR; the plan result, and the approval's when there was a plan. */
async function review(mode: 'auto' | 'full' = 'auto') {
  const plan = await planReview(deps, { userId: 'user-1', sessionId: 's-1', ref: REF, mode });
  if (plan.outcome !== 'planned') return { plan, result: undefined };
  const result = await approvePlan(deps, { userId: 'user-1', planId: plan.planId, emit: () => {} });
  return { plan, result };
}

const posted = () => github.state.reviews.filter((item) => item.pull_number === 4);
const lastReview = () => posted().at(-1);
/** The files the last review's model calls were shown. */
function shownInLastReview(since: number): string[] {
  return model.requests
    .slice(since)
    .filter(isChunkRequest)
    .flatMap((request) => [...shownAddedLines(request).keys()])
    .sort();
}

describe('incremental re-review on the GitHub stand-in', () => {
  it('after a push, reviews only the new commits and never repeats a finding', async () => {
    await review();
    const first = lastReview();
    const before = github.state.pulls[0]?.head.sha ?? '';
    const after = github.pushCommit(PULL, {
      'src/config.ts': `${CONFIG.join('\n')}\n\nexport const DEFAULT_PORT = 8080;\n`,
      'src/limits.ts': 'export const MAX_PORT = 65535;\n',
    });
    const since = model.requests.length;

    const { result } = await review();

    expect(shownInLastReview(since)).toEqual(['src/config.ts', 'src/limits.ts']);
    expect(lastReview()?.body).toContain(
      `Reviewed commits ${before.slice(0, 7)}..${after.slice(0, 7)} (1 commit, 2 files)`,
    );
    // config.ts's finding (same code, same text) was posted by the first review: only limits.ts is new.
    expect(lastReview()?.comments.map((comment) => comment.path)).toEqual(['src/limits.ts']);
    expect(first?.comments.map((comment) => comment.path)).toContain('src/config.ts');
    expect(result).toMatchObject({ outcome: 'completed', repeatedFindings: 1 });
    expect(parseStateMarker(lastReview()?.body ?? '')).toMatchObject({ head: after, from: before });
  });

  it('after a force push, reviews the whole PR again and still repeats nothing', async () => {
    await review();
    const firstCount = lastReview()?.comments.length ?? 0;
    github.forcePush(PULL, { 'src/limits.ts': 'export const MAX_PORT = 65535;\n' });
    const since = model.requests.length;

    const { result } = await review();

    expect(shownInLastReview(since)).toContain('agent-tasks/README.md');
    expect(lastReview()?.body).toContain(
      'Full review: the previous head is no longer part of this PR (force push).',
    );
    expect(lastReview()?.comments.map((comment) => comment.path)).toEqual(['src/limits.ts']);
    expect(result).toMatchObject({ outcome: 'completed', repeatedFindings: firstCount });
  });

  it('posts nothing when nothing changed since the last review', async () => {
    await review();
    const count = posted().length;

    const { plan } = await review();

    expect(plan.outcome).toBe('no_changes');
    expect(posted()).toHaveLength(count);
  });

  it("ignores another account's forged marker claiming the PR was already reviewed", async () => {
    const pull = github.state.pulls[0];
    github.state.reviews.push({
      repo: 'sample-dev/widgets',
      pull_number: 4,
      id: 777,
      user: 'other-dev',
      body: renderStateMarker({ head: pull?.head.sha ?? '', base: pull?.base.sha ?? '', fingerprints: [] }),
      state: 'COMMENTED',
      commit_id: pull?.head.sha ?? '',
      comments: [],
      submitted_at: '2030-01-01T00:00:00Z',
    });

    const { plan } = await review();

    expect(plan.outcome).toBe('planned');
    expect(lastReview()?.user).toBe('sample-dev');
  });
});
