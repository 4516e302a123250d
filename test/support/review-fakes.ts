import type { PlanStatus } from '../../lambdas/agent/events';
import type { ModelPort, ModelRequest, ModelStreamEvent, StopReason } from '../../lambdas/agent/model';
import {
  GitHubValidationError,
  PlanConflictError,
  PlanExpiredError,
  PlanNotFoundError,
} from '../../lambdas/review/errors';
import { leaseExpiry, leaseLapsed, RUNNING_STATUSES } from '../../lambdas/review/lease';
import type { ListedReview } from '../../lambdas/review/marker';
import type {
  CommitComparison,
  CreateReviewInput,
  PlanStore,
  PostedReview,
  PullRequestFile,
  PullRequestInfo,
  PullRequestRef,
  ReviewGitHub,
  StoredPlan,
} from '../../lambdas/review/ports';

/** One call the fake GitHub received. */
export type GitHubCall =
  | { method: 'getPullRequest'; ref: PullRequestRef }
  | { method: 'listFiles'; ref: PullRequestRef; maxFiles: number }
  | { method: 'createReview'; ref: PullRequestRef; review: CreateReviewInput }
  | { method: 'findReview'; ref: PullRequestRef; marker: string }
  | { method: 'viewerLogin' }
  | { method: 'listReviews'; ref: PullRequestRef }
  | { method: 'compareCommits'; ref: PullRequestRef; base: string; head: string }
  | { method: 'readRepoFile'; repo: { owner: string; repo: string }; path: string; ref: string };

/**
 * An in-memory ReviewGitHub with one PR. `createReview` answers from `reviewFailures` first (failing before anything
 * is created), then from `lostAnswers` (the review is created, then the call fails as if the answer never came back),
 * then succeeds. `findReview` searches the created reviews' bodies, after throwing from `findFailures` first.
 */
export interface FakeGitHub extends ReviewGitHub {
  calls: GitHubCall[];
  /** Reviews that were created (what GitHub would show). */
  posted: CreateReviewInput[];
  pr: PullRequestInfo;
  files: PullRequestFile[];
  truncated: boolean;
  reviewFailures: Error[];
  lostAnswers: Error[];
  findFailures: Error[];
  /** Thrown by the next getPullRequest, once. */
  nextGetFailure?: Error;
  /** The token's account: createReview posts as it. */
  viewer: string;
  /** Every review on the PR, oldest first: the created ones (by `viewer`) and any a test adds. */
  reviews: ListedReview[];
  /** compareCommits' answer; by default GitHub does not know the commits (404 → undefined). */
  compare?: (base: string, head: string) => CommitComparison | undefined;
  /** Repository files by commit then path (what readRepoFile serves); a missing entry is `missing`. */
  repoFiles: Record<string, Record<string, string>>;
}

export function createFakeGitHub(options: {
  pr?: Partial<PullRequestInfo>;
  files: PullRequestFile[];
}): FakeGitHub {
  const fake: FakeGitHub = {
    calls: [],
    posted: [],
    pr: {
      number: 12,
      title: 'Add task runner',
      body: 'Adds the runner.',
      state: 'open',
      headSha: 'a'.repeat(40),
      baseSha: 'b'.repeat(40),
      htmlUrl: 'https://github.com/octo/widgets/pull/12',
      ...options.pr,
    },
    files: options.files,
    truncated: false,
    reviewFailures: [],
    lostAnswers: [],
    findFailures: [],
    viewer: 'octo-agent',
    reviews: [],
    repoFiles: {},
    async getPullRequest(ref) {
      fake.calls.push({ method: 'getPullRequest', ref });
      const failure = fake.nextGetFailure;
      if (failure) {
        fake.nextGetFailure = undefined;
        throw failure;
      }
      return { ...fake.pr };
    },
    async listFiles(ref, { maxFiles }) {
      fake.calls.push({ method: 'listFiles', ref, maxFiles });
      return {
        files: fake.files.slice(0, maxFiles),
        truncated: fake.truncated || fake.files.length > maxFiles,
      };
    },
    async createReview(ref, review) {
      fake.calls.push({ method: 'createReview', ref, review });
      const failure = fake.reviewFailures.shift();
      if (failure) throw failure;
      fake.posted.push(review);
      fake.reviews.push({ id: 1000 + fake.posted.length, author: fake.viewer, body: review.body });
      const lost = fake.lostAnswers.shift();
      if (lost) throw lost;
      return postedReview(fake, fake.posted.length - 1);
    },
    async findReview(ref, marker) {
      fake.calls.push({ method: 'findReview', ref, marker });
      const failure = fake.findFailures.shift();
      if (failure) throw failure;
      const index = fake.posted.findIndex((review) => review.body.includes(marker));
      return index === -1 ? undefined : postedReview(fake, index);
    },
    async viewerLogin() {
      fake.calls.push({ method: 'viewerLogin' });
      return fake.viewer;
    },
    async listReviews(ref) {
      fake.calls.push({ method: 'listReviews', ref });
      return structuredClone(fake.reviews);
    },
    async compareCommits(ref, base, head) {
      fake.calls.push({ method: 'compareCommits', ref, base, head });
      return fake.compare?.(base, head);
    },
    async readRepoFile(repo, path, { ref, maxBytes }) {
      fake.calls.push({ method: 'readRepoFile', repo, path, ref });
      const text = fake.repoFiles[ref]?.[path];
      if (text === undefined) return { kind: 'missing' };
      const bytes = Buffer.byteLength(text, 'utf8');
      return bytes > maxBytes ? { kind: 'too_large', bytes } : { kind: 'file', text };
    },
  };
  return fake;
}

function postedReview(fake: FakeGitHub, index: number): PostedReview {
  return { id: index + 1, htmlUrl: `${fake.pr.htmlUrl}#pullrequestreview-${index + 1}` };
}

/** A 5xx (or, without `response`, a network failure) shaped like Octokit's RequestError. */
export function serverError(status = 502, message = 'Bad Gateway', response = true): Error {
  return Object.assign(new Error(message), {
    name: 'HttpError',
    status,
    ...(response ? { response: { status, headers: {}, data: { message } } } : {}),
  });
}

/** A 422 as the GitHub adapter reports it. */
export function unprocessable(message: string, errors: string[] = []): GitHubValidationError {
  return new GitHubValidationError(message, errors);
}

/** What a scripted model answers: text (stop end_turn) or the full event list. */
export type ScriptedAnswer = string | { text: string; stop?: StopReason; events?: ModelStreamEvent[] };

export interface ScriptedModel extends ModelPort {
  requests: ModelRequest[];
}

/** A ModelPort that records every request and answers with `respond(request, callIndex)`. */
export function createScriptedModel(
  respond: (request: ModelRequest, call: number) => ScriptedAnswer,
): ScriptedModel {
  const model: ScriptedModel = {
    requests: [],
    async *stream(request) {
      const call = model.requests.length;
      model.requests.push(request);
      const answer = respond(request, call);
      const { text, stop, events } =
        typeof answer === 'string' ? { text: answer, stop: undefined, events: [] } : answer;
      for (const event of events ?? []) yield event;
      // Stream in two pieces, like a real model, so nothing relies on one delta.
      const half = Math.floor(text.length / 2);
      if (half > 0) yield { type: 'text', delta: text.slice(0, half) };
      yield { type: 'text', delta: text.slice(half) };
      yield { type: 'stop', reason: stop ?? 'end_turn' };
    },
  };
  return model;
}

/** The text of a request's last user message. */
export function lastUserText(request: ModelRequest): string {
  const message = [...request.messages].reverse().find((m) => m.role === 'user');
  return (message?.content ?? []).map((block) => ('text' in block ? block.text : '')).join('');
}

/** Whether a request is a review-chunk request (vs. the plan request). */
export function isChunkRequest(request: ModelRequest): boolean {
  return request.messages[0] !== undefined && lastUserTextOf(request, 0).includes('### FILE ');
}

function lastUserTextOf(request: ModelRequest, index: number): string {
  return (request.messages[index]?.content ?? [])
    .map((block) => ('text' in block ? block.text : ''))
    .join('');
}

/** The files and added-line numbers (RIGHT side) a chunk request shows, read back from the rendered diff. */
export function shownAddedLines(request: ModelRequest): Map<string, number[]> {
  const shown = new Map<string, number[]>();
  let path: string | undefined;
  for (const line of lastUserTextOf(request, 0).split('\n')) {
    const file = /^### FILE (\S+)/.exec(line);
    if (file) {
      path = file[1] as string;
      if (!shown.has(path)) shown.set(path, []);
      continue;
    }
    // An added line: blank old column, then the new number, then "+".
    const added = /^ +(\d+) \+/.exec(line);
    if (path !== undefined && added) shown.get(path)?.push(Number(added[1]));
  }
  return shown;
}

export const VALID_PLAN = JSON.stringify({
  objective: 'Check the task runner for correctness and safety',
  steps: ['Read the runner changes', 'Check error handling', 'Check the tests'],
  risks: ['Shell commands built from input'],
  estimated_time_minutes: 20,
});

/** An in-memory PlanStore with the DynamoDB store's semantics (conditional transitions, leases, TTL on read). */
export function createMemoryPlanStore(
  now: () => number = Date.now,
): PlanStore & { items: Map<string, StoredPlan> } {
  const items = new Map<string, StoredPlan>();
  const key = (userId: string, planId: string) => `${userId}\u0000${planId}`;
  const nowSeconds = () => Math.floor(now() / 1000);
  const list = async (userId: string, sessionId: string, statuses: PlanStatus[]) =>
    [...items.values()]
      .filter(
        (plan) =>
          plan.userId === userId &&
          plan.sessionId === sessionId &&
          statuses.includes(plan.status) &&
          plan.expiresAt > nowSeconds(),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((plan) => structuredClone(plan));
  return {
    items,
    async create(plan) {
      if (items.has(key(plan.userId, plan.planId))) throw new Error('plan exists');
      items.set(key(plan.userId, plan.planId), structuredClone(plan));
    },
    async get(userId, planId) {
      const plan = items.get(key(userId, planId));
      if (!plan) throw new PlanNotFoundError(planId);
      if (plan.expiresAt <= nowSeconds()) throw new PlanExpiredError(planId);
      return structuredClone(plan);
    },
    async listPending(userId, sessionId) {
      return list(userId, sessionId, ['pending']);
    },
    async listRunning(userId, sessionId) {
      return list(userId, sessionId, RUNNING_STATUSES);
    },
    async transition(userId, planId, change) {
      const plan = items.get(key(userId, planId));
      if (!plan) throw new PlanNotFoundError(planId);
      const expired = plan.expiresAt <= nowSeconds();
      const allowed =
        (change.from.includes(plan.status) &&
          !(plan.status === 'pending' && expired) &&
          (change.leaseOwner === undefined || plan.lease?.owner === change.leaseOwner)) ||
        ((change.fromLapsed ?? []).includes(plan.status) && !expired && leaseLapsed(plan, nowSeconds()));
      if (!allowed) {
        if (expired) throw new PlanExpiredError(planId);
        throw new PlanConflictError(planId, plan.status, {
          reviewUrl: plan.reviewUrl,
          failureReason: plan.failureReason,
          updatedAt: plan.updatedAt,
          leaseExpiresAt: leaseExpiry(plan),
        });
      }
      plan.status = change.to;
      plan.updatedAt = new Date(now()).toISOString();
      if (change.patch?.reviewUrl !== undefined) plan.reviewUrl = change.patch.reviewUrl;
      if (change.patch?.failureReason !== undefined) plan.failureReason = change.patch.failureReason;
      if (change.patch?.expiresAt !== undefined) plan.expiresAt = change.patch.expiresAt;
      if (change.patch?.lease !== undefined) plan.lease = { ...change.patch.lease };
      return structuredClone(plan);
    },
  };
}

/** A file for the fake PR; `patch` built from lines like "+added", "-deleted", " context". */
export function prFile(
  filename: string,
  lines: string[] | undefined,
  extra: Partial<PullRequestFile> & { oldStart?: number; newStart?: number } = {},
): PullRequestFile {
  const { oldStart = 1, newStart = 1, ...rest } = extra;
  const additions = lines?.filter((line) => line.startsWith('+')).length ?? 0;
  const deletions = lines?.filter((line) => line.startsWith('-')).length ?? 0;
  return {
    filename,
    status: 'modified',
    additions,
    deletions,
    changes: additions + deletions,
    patch: lines === undefined ? undefined : hunkText(oldStart, newStart, lines),
    ...rest,
  };
}

/** One hunk's text with a correct header. */
export function hunkText(oldStart: number, newStart: number, lines: string[]): string {
  const oldCount = lines.filter((line) => !line.startsWith('+')).length;
  const newCount = lines.filter((line) => !line.startsWith('-')).length;
  return [`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...lines].join('\n');
}

/**
 * A large PR: `count` files under agent-tasks/ with about `totalLines` changed lines in all, including lock files,
 * generated files, vendored files, a binary, and a few files outside the scope.
 */
export function largePullRequestFiles(count = 300, totalLines = 20_000): PullRequestFile[] {
  const files: PullRequestFile[] = [];
  const special: PullRequestFile[] = [
    prFile('agent-tasks/package-lock.json', added(400, 'lock')),
    prFile('agent-tasks/app/yarn.lock', added(300, 'lock')),
    prFile('agent-tasks/dist/bundle.min.js', added(200, 'min')),
    prFile('agent-tasks/web/app.js.map', added(50, 'map')),
    prFile('agent-tasks/vendor/lib/util.go', added(100, 'vendored')),
    prFile('agent-tasks/assets/logo.png', undefined, {
      additions: 0,
      deletions: 0,
      changes: 0,
      status: 'added',
    }),
    prFile('agent-tasks/data/huge.csv', undefined, { additions: 30_000, deletions: 0, changes: 30_000 }),
    prFile('docs/outside.md', added(10, 'doc')),
    prFile('src/outside.ts', added(10, 'out')),
  ];
  const remaining = count - special.length;
  const specialLines = special.reduce((sum, file) => sum + file.changes, 0) - 30_000;
  const perFile = Math.max(4, Math.floor((totalLines - specialLines) / remaining));
  for (let i = 0; i < remaining; i += 1) {
    const kind = i % 10 === 0 ? 'test' : i % 15 === 0 ? 'md' : 'ts';
    const name =
      kind === 'test'
        ? `agent-tasks/test/module-${i}.test.ts`
        : kind === 'md'
          ? `agent-tasks/docs/note-${i}.md`
          : `agent-tasks/src/module-${i}.ts`;
    // Every third file is a modification with two hunks; the rest are new files (one hunk each).
    const size = i === 7 ? perFile * 12 : perFile;
    if (i % 3 === 0) {
      const half = Math.floor(size / 2);
      const first = hunkText(10, 10, [' context a', ...modified(half, i), ' context b']);
      const second = hunkText(200, 200 + half, [
        ' context c',
        ...modified(size - half, i + 1000),
        ' context d',
      ]);
      const additions = size;
      const deletions = Math.floor(half / 2) + Math.floor((size - half) / 2);
      files.push({
        filename: name,
        status: 'modified',
        additions,
        deletions,
        changes: additions + deletions,
        patch: `${first}\n${second}`,
      });
    } else {
      files.push(prFile(name, added(size, `m${i}`), { status: 'added', oldStart: 0 }));
    }
  }
  return [...special, ...files];
}

function added(count: number, tag: string): string[] {
  return Array.from(
    { length: count },
    (_, i) => `+const ${tag}_${i} = compute(${i}, "${tag}") + offset * ${i};`,
  );
}

/** `count` added lines, with a deleted line after every second one. */
function modified(count: number, seed: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    lines.push(`+  const value${seed}_${i} = transform(input[${i}], options);`);
    if (i % 2 === 1) lines.push(`-  const old${seed}_${i} = legacy(input[${i}]);`);
  }
  return lines;
}
