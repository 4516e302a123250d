import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../lambdas/agent/model';
import { createGitHubAccess } from '../../lambdas/github/access';
import { createOctokit } from '../../lambdas/github/client';
import { createStaticTokenPort } from '../../lambdas/identity/static-token';
import type { ReviewFindingsSummary } from '../../lambdas/metrics/port';
import { createReviewGitHub } from '../../lambdas/review/github-adapter';
import type { ReviewDeps } from '../../lambdas/review/ports';
import { REPO_CONFIG_PATH } from '../../lambdas/review/repo-config';
import { approvePlan, planReview } from '../../lambdas/review/workflow';
import {
  fastOctokitOptions,
  type GitHubStandin,
  SAMPLE_TOKEN,
  type StandinRepo,
  startGitHubStandin,
} from '../support/github-standin';
import {
  createMemoryPlanStore,
  createScriptedModel,
  isChunkRequest,
  type ScriptedAnswer,
  shownAddedLines,
  VALID_PLAN,
} from '../support/review-fakes';

/**
 * Per-repository rules and the severity/self-check pass, through the real GitHub adapter (Octokit) against the GitHub
 * stand-in, whose every request is checked against GitHub's OpenAPI description. The sample PR sample-dev/widgets#4
 * changes agent-tasks/README.md, agent-tasks/validate-config.md, src/config.ts and a PNG.
 */

const REF = { owner: 'sample-dev', repo: 'widgets', number: 4 };
const USER = 'user-1';

let github: GitHubStandin;
let repo: StandinRepo;
let base: string;
let head: string;

beforeEach(async () => {
  github = await startGitHubStandin();
  const found = github.state.repos.find((candidate) => candidate.name === 'widgets');
  const pull = github.state.pulls.find((candidate) => candidate.number === 4);
  if (!found || !pull) throw new Error('the sample PR sample-dev/widgets#4 is missing');
  repo = found;
  base = pull.base.sha;
  head = pull.head.sha;
});

afterEach(async () => {
  github.assertNoViolations();
  await github.close();
});

function setRules(sha: string, text: string): void {
  repo.contents ??= {};
  repo.contents[sha] = { ...repo.contents[sha], [REPO_CONFIG_PATH]: text };
}

const isSelfCheck = (request: ModelRequest) => request.system.startsWith('You double-check');

/** One finding (of `severity`) on the first added line of every file shown; plans and self-checks as scripted. */
function scriptedModel(
  options: {
    severity?: string;
    findingsPerFile?: number;
    selfCheck?: (request: ModelRequest) => ScriptedAnswer;
  } = {},
) {
  return createScriptedModel((request) => {
    if (isSelfCheck(request)) return options.selfCheck?.(request) ?? '{"verdicts": []}';
    if (!isChunkRequest(request)) return VALID_PLAN;
    const findings = [...shownAddedLines(request)].flatMap(([path, lines]) =>
      lines.slice(0, options.findingsPerFile ?? 1).map((line, index) => ({
        path,
        line,
        side: 'RIGHT',
        severity: options.severity ?? 'major',
        confidence: 'high',
        // Distinct wording: near-identical findings on nearby lines are merged as duplicates.
        message:
          [`Problem 1 in ${path}`, 'A second, unrelated concern about error handling here'][index] ?? '',
      })),
    );
    return JSON.stringify({ findings });
  });
}

async function review(model = scriptedModel(), settings: Partial<ReviewDeps['settings']> = {}) {
  const access = createGitHubAccess({
    tokenPort: createStaticTokenPort({ token: SAMPLE_TOKEN }),
    userId: USER,
    octokitFactory: (token) => createOctokit({ token, baseUrl: github.url, ...fastOctokitOptions() }),
  });
  const metrics: ReviewFindingsSummary[] = [];
  let ids = 0;
  const deps: ReviewDeps = {
    github: createReviewGitHub(access),
    plans: createMemoryPlanStore(() => Date.now()),
    model,
    now: () => new Date(),
    newId: () => `p_rules${++ids}`,
    settings: {
      pathPrefixes: ['agent-tasks/'],
      planTtlHours: 1,
      chunkTokenBudget: 6000,
      maxOutputTokens: 1000,
      ...settings,
    },
    metrics: {
      turnCompleted: () => undefined,
      modelCall: () => undefined,
      consent: () => undefined,
      review: () => undefined,
      reviewJson: () => undefined,
      gitHubRateLimit: () => undefined,
      reviewFindings: (summary) => metrics.push(summary),
    },
  };
  const planned = await planReview(deps, { userId: USER, sessionId: 's1', ref: REF });
  if (planned.outcome !== 'planned') throw new Error(`expected a plan: ${JSON.stringify(planned)}`);
  const result = await approvePlan(deps, { userId: USER, planId: planned.planId, emit: () => undefined });
  const posted = github.state.reviews.filter((item) => item.pull_number === 4);
  return { planned, result, posted: posted.at(-1), reviews: posted.length, model, metrics };
}

const contentRequests = () =>
  github.requests.filter((request) => request.operationId === 'repos/get-content');

describe('per-repository rules', () => {
  it("reads the rules from the PR's base commit and ignores a rules file the PR adds on its head", async () => {
    setRules(base, 'include: ["src/**"]\n');
    setRules(head, 'include: ["agent-tasks/**"]\nseverity_threshold: critical\n');

    const { posted } = await review();

    expect(posted?.comments.map((comment) => comment.path)).toEqual(['src/config.ts']);
    expect(contentRequests().map((request) => request.query.ref)).toEqual([base, base]);
  });

  it('reports an invalid rules file in the posted review, saying which key and why, and uses the defaults', async () => {
    setRules(base, 'severity_threshold: urgent\n');

    const { posted } = await review();

    expect(posted?.body).toContain(
      "> This repository's `.github/coding-agent.yml` (read from the base branch)",
    );
    expect(posted?.body).toContain('> - severity_threshold: must be one of critical, major, minor, nit');
    expect(posted?.comments.map((comment) => comment.path).sort()).toEqual([
      'agent-tasks/README.md',
      'agent-tasks/validate-config.md',
    ]);
  });

  it('uses the defaults silently when the repository has no rules file', async () => {
    const { posted } = await review();

    expect(posted?.body).not.toContain('coding-agent.yml');
    expect(contentRequests().map((request) => request.status)).toEqual([404, 404]);
  });

  it("reviews what the include globs name, minus the excludes, instead of the operator's prefixes", async () => {
    setRules(base, 'include: ["**/*.md", "src/**"]\nexclude: ["agent-tasks/README.md"]\n');

    const { posted, planned } = await review();

    expect(posted?.comments.map((comment) => comment.path).sort()).toEqual([
      'agent-tasks/validate-config.md',
      'src/config.ts',
    ]);
    expect(posted?.body).toContain('outside the review scope (**/*.md, src/**, !agent-tasks/README.md)');
    expect(planned.outcome === 'planned' && planned.markdown).toContain('2 files to review under **/*.md');
  });

  it('reviews at most max_files files and lists the rest as skipped', async () => {
    setRules(base, 'include: ["**"]\nmax_files: 1\n');

    const { posted, result } = await review();

    expect(result).toMatchObject({ outcome: 'completed', reviewedFiles: 1 });
    expect(posted?.body).toMatch(/2 files beyond the repository's max_files setting/);
  });

  it("applies the repository's severity threshold: findings below it are counted, not posted", async () => {
    setRules(base, 'severity_threshold: major\n');

    const { posted, metrics } = await review(scriptedModel({ severity: 'minor' }));

    expect(posted?.comments).toEqual([]);
    expect(posted?.body).toContain("_2 findings below this review's `major` severity threshold not posted._");
    expect(metrics).toEqual([
      {
        bySeverity: { critical: 0, major: 0, minor: 0, nit: 0 },
        belowThreshold: 2,
        droppedBySelfCheck: 0,
        selfCheckFailures: 0,
      },
    ]);
  });

  it('puts the repository instructions in their own labelled section, outside the untrusted PR content', async () => {
    setRules(base, 'instructions: Flag every TODO left in a task file.\n');

    const { model } = await review();

    const prompt = model.requests.find(isChunkRequest)?.messages[0]?.content[0];
    const text = prompt && 'text' in prompt ? prompt.text : '';
    const instructions = text.indexOf('Flag every TODO left in a task file.');
    expect(text).toMatch(/BEGIN REPOSITORY INSTRUCTIONS [0-9a-f]{12}\nFlag every TODO/);
    expect(instructions).toBeLessThan(text.indexOf('BEGIN UNTRUSTED PR CONTENT'));
  });
});

describe('self-check', () => {
  const twoFindings = { findingsPerFile: 2, severity: 'major' };

  it('drops a finding the self-check model says its diff lines do not support', async () => {
    setRules(base, 'include: ["src/**"]\n');
    const model = scriptedModel({
      ...twoFindings,
      selfCheck: () =>
        JSON.stringify({
          verdicts: [
            { id: 1, supported: true },
            { id: 2, supported: false },
          ],
        }),
    });

    const { posted, metrics } = await review(model, { selfCheck: true });

    expect(posted?.comments.map((comment) => comment.body)).toEqual([
      '**🟠 Major:** Problem 1 in src/config.ts',
    ]);
    expect(posted?.body).toContain(
      '_1 finding dropped by the self-check: the diff lines did not support them._',
    );
    expect(metrics[0]).toMatchObject({ droppedBySelfCheck: 1, selfCheckFailures: 0 });
    expect(model.requests.filter(isSelfCheck)).toHaveLength(1);
  });

  it('keeps every finding when the self-check answers garbage (fails open), and counts the failure', async () => {
    setRules(base, 'include: ["src/**"]\n');
    const model = scriptedModel({ ...twoFindings, selfCheck: () => 'I agree with both, they look great.' });

    const { posted, metrics } = await review(model, { selfCheck: true });

    expect(posted?.comments).toHaveLength(2);
    expect(posted?.body).not.toContain('self-check');
    expect(metrics[0]).toMatchObject({ droppedBySelfCheck: 0, selfCheckFailures: 1 });
  });

  it('makes no self-check call when SELF_CHECK is off', async () => {
    const model = scriptedModel();

    await review(model, { selfCheck: false });

    expect(model.requests.filter(isSelfCheck)).toEqual([]);
  });
});
