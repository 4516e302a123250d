import { randomBytes } from 'node:crypto';
import type { Emit, PlanStatus } from '../agent/events';
import { ModelError, type ModelPort } from '../agent/model';
import { ConsentRequiredError } from '../agent/tool';
import { loadPrompt } from '../prompts';
import { type ReviewSummary, renderReviewBody, reviewMarker } from './body';
import { buildChunks, type Chunk, orderByRelevance, type ReviewFile } from './chunks';
import { DiffParseError, emptyIndex, indexLines, type LineIndex, parsePatch, type ShownLine } from './diff';
import {
  credentialProblem,
  GitHubValidationError,
  PlanConflictError,
  PlanLeaseLostError,
  ReviewError,
  ReviewPostError,
  utcTime,
} from './errors';
import {
  type AnchoredFinding,
  anchorFindings,
  bySeverity,
  chunkFindingsSchema,
  dedupeFindings,
  type Finding,
  selectInline,
  toReviewComment,
  type UnanchoredFinding,
} from './findings';
import { fingerprintFinding, lineTexts } from './fingerprints';
import {
  describeNoChanges,
  describeRange,
  planIncrementalReview,
  type ReviewMode,
  type ReviewRange,
  readPreviousReviews,
  resolveRange,
  storedRange,
} from './incremental';
import { completeJson, repairOverheadTokens } from './json';
import { DEFAULT_LEASE_SECONDS, leaseExpiry, leaseLapsed, RUNNING_STATUSES } from './lease';
import { MAX_FINGERPRINTS, renderStateMarker } from './marker';
import {
  describeNothingToReview,
  describeScope,
  formatRef,
  generatePlan,
  type PlanModel,
  plural,
  renderPlanMarkdown,
} from './plan';
import type { CreateReviewInput, PostedReview, PullRequestRef, ReviewDeps, StoredPlan } from './ports';
import { checkPullRequestRef } from './ref';
import { loadRepoConfig, resolveScope } from './repo-config';
import { type SkippedFile, selectFiles } from './scope';
import { selfCheckFindings } from './self-check';
import { applyThreshold, countBySeverity } from './severity';
import { estimateRequestTokens } from './tokens';

type Settings = Required<ReviewDeps['settings']>;

function resolveSettings(settings: ReviewDeps['settings']): Settings {
  return {
    ...settings,
    maxInlineComments: settings.maxInlineComments ?? 50,
    maxChunks: settings.maxChunks ?? 60,
    concurrency: settings.concurrency ?? 4,
    maxFiles: settings.maxFiles ?? 3000,
    leaseSeconds: settings.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
    severityThreshold: settings.severityThreshold ?? 'nit',
    selfCheck: settings.selfCheck ?? false,
  };
}

/** Room kept in every chunk request for echoing a bad answer back in the one repair request. */
const REPAIR_ANSWER_RESERVE_TOKENS = 500;
const DESCRIPTION_EXCERPT_CHARS = 500;
const MAX_STATUS_ISSUES = 10;

export type PlanReviewResult =
  | {
      outcome: 'planned';
      planId: string;
      plan: PlanModel;
      markdown: string;
      filesToReview: number;
      skipped: number;
      /** What the review will cover (incremental.ts describeRange). */
      range: string;
    }
  | { outcome: 'nothing_to_review'; message: string }
  /** Nothing changed since the agent's last review of the PR: no plan, nothing to post. */
  | { outcome: 'no_changes'; message: string };

/**
 * Plans a review: fetches the PR and its files, applies the path scope and ignore rules, asks the model for a
 * PlanModel (no tools) and stores it as `pending` with the head SHA and a TTL. Older pending plans for the same PR in
 * this session are cancelled, so "approve" stays unambiguous. The caller emits the `plan` event.
 * A PR the agent reviewed before is re-reviewed incrementally (`mode` 'auto', see incremental.ts): the plan covers only
 * the commits since the last reviewed head, or says why it is a full review; nothing new → `no_changes`.
 * @throws ConsentRequiredError from the GitHub port; ModelOutputError / ModelError from the model
 */
export async function planReview(
  deps: ReviewDeps,
  input: {
    userId: string;
    sessionId: string;
    ref: PullRequestRef;
    /** The user widened the scope for this review ([] = every file); the configured scope otherwise. */
    pathPrefixes?: string[];
    signal?: AbortSignal;
    /**
     * Cancel this session's older pending plans for the same PR (default true). False once the session has read text
     * written by others: an injected "review it again" must not silently replace the plan the user is looking at.
     */
    supersede?: boolean;
    /** 'auto' (default): only the commits since the agent's last review of the PR, if any; 'full': the whole PR. */
    mode?: ReviewMode;
    /** A `synchronize` event's `before`: a hint only (see planIncrementalReview). */
    beforeSha?: string;
  },
): Promise<PlanReviewResult> {
  const ref = checkPullRequestRef(input.ref);
  const settings = resolveSettings(deps.settings);
  const pr = await deps.github.getPullRequest(ref);
  const rules = await loadRepoConfig(deps.github, ref, pr.baseSha);
  const scoped = resolveScope(input.pathPrefixes, rules.config, settings.pathPrefixes);
  const { range } = await planIncrementalReview({ ...deps, settings }, ref, {
    mode: input.mode ?? 'auto',
    beforeSha: input.beforeSha,
    pr,
  });
  if (range.kind === 'no_changes') return { outcome: 'no_changes', message: describeNoChanges(ref, range) };
  const listing = range.listing;
  const selection = selectFiles(listing.files, scoped.pathPrefixes, scoped);
  const scopeInput = {
    reviewable: selection.reviewable,
    skipped: selection.skipped,
    outOfScope: selection.outOfScope.length,
    pathPrefixes: scoped.label,
    listingTruncated: listing.truncated,
  };
  const scope = describeScope(scopeInput);
  if (selection.reviewable.length === 0) {
    return {
      outcome: 'nothing_to_review',
      message: describeNothingToReview(ref, scope, selection.outOfScope),
    };
  }

  const plan = await generatePlan(
    deps.model,
    { ...scopeInput, ref, pr },
    { maxTokens: settings.maxOutputTokens, signal: input.signal, metrics: deps.metrics },
  );
  const now = deps.now();
  const planId = deps.newId();
  await deps.plans.create({
    userId: input.userId,
    planId,
    sessionId: input.sessionId,
    status: 'pending',
    plan,
    ref,
    title: pr.title,
    headSha: pr.headSha,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + settings.planTtlHours * 3600,
    ...(input.pathPrefixes === undefined ? {} : { pathPrefixes: input.pathPrefixes }),
    range: storedRange(range),
  });
  if (input.supersede !== false) await supersedeOlderPlans(deps, input.userId, input.sessionId, planId, ref);
  deps.logger?.info('review plan created', { planId, files: selection.reviewable.length, range: range.kind });
  const rangeText = describeRange(range);
  return {
    outcome: 'planned',
    planId,
    plan,
    markdown: renderPlanMarkdown(plan, { ref, title: pr.title, scope, range: rangeText }),
    filesToReview: selection.reviewable.length,
    skipped: selection.skipped.length,
    range: rangeText,
  };
}

async function supersedeOlderPlans(
  deps: ReviewDeps,
  userId: string,
  sessionId: string,
  planId: string,
  ref: PullRequestRef,
): Promise<void> {
  const pending = await deps.plans.listPending(userId, sessionId);
  for (const older of pending) {
    if (older.planId === planId || formatRef(older.ref) !== formatRef(ref)) continue;
    try {
      await deps.plans.transition(userId, older.planId, {
        from: ['pending'],
        to: 'cancelled',
        patch: { failureReason: `replaced by plan ${planId}` },
      });
    } catch (error) {
      // Approved or expired meanwhile: it is no longer pending, which is all this wanted.
      if (!(error instanceof ReviewError)) throw error;
    }
  }
}

export type ApproveResult =
  | {
      outcome: 'completed';
      planId: string;
      reviewUrl: string;
      findings: number;
      inlineComments: number;
      reviewedFiles: number;
      skippedFiles: number;
      modelCalls: number;
      /** Findings dropped because an earlier review of the PR already posted them. */
      repeatedFindings: number;
      /** What the review covered (incremental.ts describeRange). */
      range: string;
    }
  /** A restarted plan whose stopped run had already posted its review: reported, never posted again. */
  | { outcome: 'already_posted'; planId: string; reviewUrl: string }
  | { outcome: 'stale'; planId: string; message: string }
  | { outcome: 'failed'; planId: string; reason: string };

/**
 * Approves a pending plan and runs it in this request: re-checks the PR head, reviews the diff chunk by chunk (model
 * calls without tools: PR content cannot trigger actions), streams `status` events with rising progress, and posts
 * exactly one COMMENT review, then marks the plan `completed` and emits `review_posted`. A moved head → `failed`,
 * `plan_stale` error event, nothing posted. Any other failure → `failed` with the reason and a `review_failed` error
 * event; nothing was posted, except when a post failed in a way GitHub may have acted on and the PR could not be
 * checked for it afterwards: the reason then says the review may have been posted (see {@link ReviewPostError}).
 *
 * The run holds a lease on the plan, renewed as it progresses and once more right before posting. A plan whose lease
 * lapsed (its function stopped mid-review) is restarted by approving it again: the PR is searched for the plan's
 * marker first, and a review found there is reported (`already_posted`) instead of posted again. A run that went
 * quiet and lost its lease to such a restart (or to a cancel) stops without posting or changing the plan.
 * @throws PlanNotFoundError / PlanExpiredError / PlanConflictError (nothing changed) before the plan is claimed;
 *   ConsentRequiredError from the GitHub port (before claiming, the plan stays as it was)
 */
export async function approvePlan(
  deps: ReviewDeps,
  input: { userId: string; planId: string; emit: Emit; signal?: AbortSignal },
): Promise<ApproveResult> {
  const { userId, planId, emit } = input;
  const settings = resolveSettings(deps.settings);
  const nowSeconds = () => Math.floor(deps.now().getTime() / 1000);
  const stored = await deps.plans.get(userId, planId);
  const restart = leaseLapsed(stored, nowSeconds());
  if (stored.status !== 'pending' && !restart) {
    throw new PlanConflictError(planId, stored.status, {
      reviewUrl: stored.reviewUrl,
      failureReason: stored.failureReason,
      updatedAt: stored.updatedAt,
      leaseExpiresAt: leaseExpiry(stored),
    });
  }
  // Fetch before claiming: if GitHub needs consent first, the plan stays as it was and "approve" can be re-sent.
  const pr = await deps.github.getPullRequest(stored.ref);
  const keepUntil = nowSeconds() + settings.planTtlHours * 3600;
  const runId = randomBytes(8).toString('hex');
  const lease = () => ({ owner: runId, expiresAt: nowSeconds() + settings.leaseSeconds });
  // The claim: one conditional write, so of two concurrent approvals (or restarts) exactly one gets past this line.
  await deps.plans.transition(userId, planId, {
    from: restart ? [] : ['pending'],
    fromLapsed: restart ? RUNNING_STATUSES : undefined,
    to: 'approved',
    patch: { expiresAt: keepUntil, lease: lease() },
  });

  const issues: string[] = [];
  const status = (state: PlanStatus, step: string, progress: number) =>
    emit({
      type: 'status',
      plan_id: planId,
      status: state,
      current_step: step,
      progress: Math.max(0, Math.min(100, Math.round(progress))),
      issues: [...issues],
      updated_at: deps.now().toISOString(),
    });
  status(
    'approved',
    restart
      ? loadPrompt('review-plan-restarting', {
          plan_id: planId,
          last_update: utcTime(Date.parse(stored.updatedAt)),
        }).trim()
      : 'Plan approved',
    0,
  );

  let lastProgress = 0;
  const fail = async (
    reason: string,
    code: 'review_failed' | 'plan_stale',
    mayBePosted = false,
  ): Promise<void> => {
    try {
      await deps.plans.transition(userId, planId, {
        from: RUNNING_STATUSES,
        leaseOwner: runId,
        to: 'failed',
        patch: { failureReason: reason },
      });
    } catch (error) {
      deps.logger?.warn('could not mark the plan failed', { planId, error: (error as Error).name });
    }
    issues.push(reason);
    status('failed', reason, lastProgress);
    emit({ type: 'error', code, message: failureMessage(reason, code, mayBePosted) });
  };
  const complete = async (reviewUrl: string): Promise<void> => {
    // Posted: whatever happened meanwhile, that is now the truth (and nothing may post again).
    try {
      await deps.plans.transition(userId, planId, {
        from: RUNNING_STATUSES,
        to: 'completed',
        patch: { reviewUrl },
      });
    } catch (error) {
      deps.logger?.warn('review posted but the plan could not be marked completed', {
        planId,
        error: (error as Error).name,
      });
    }
    emit({ type: 'review_posted', plan_id: planId, url: reviewUrl });
    status('completed', 'Review posted', 100);
  };

  if (restart) {
    // The stopped run may have posted before it died: its marker on the PR says so, and then nothing is posted again.
    let existing: PostedReview | undefined;
    try {
      existing = await deps.github.findReview(stored.ref, reviewMarker(planId));
    } catch (error) {
      const message = loadPrompt('review-restart-unchecked', {
        plan_id: planId,
        problem: credentialProblem(error) ?? describePostFailure(error),
      }).trim();
      // Let the next approval retry at once: the lease is released, the plan stays approved.
      await deps.plans
        .transition(userId, planId, {
          from: ['approved'],
          leaseOwner: runId,
          to: 'approved',
          patch: { lease: { owner: runId, expiresAt: nowSeconds() } },
        })
        .catch((release: unknown) => {
          deps.logger?.warn('could not release the plan', { planId, error: (release as Error).name });
        });
      emit({ type: 'error', code: 'review_failed', message });
      if (error instanceof ConsentRequiredError) throw error;
      return { outcome: 'failed', planId, reason: message };
    }
    if (existing !== undefined) {
      deps.logger?.info('restarted plan: its review was already posted', { planId });
      await complete(existing.htmlUrl);
      return { outcome: 'already_posted', planId, reviewUrl: existing.htmlUrl };
    }
  }

  if (pr.headSha !== stored.headSha) {
    const reason = `PR head moved from ${stored.headSha.slice(0, 7)} to ${pr.headSha.slice(0, 7)} since the plan was made`;
    await fail(reason, 'plan_stale');
    return { outcome: 'stale', planId, message: failureMessage(reason, 'plan_stale') };
  }

  let posted: { htmlUrl: string } | undefined;
  let report: Omit<Extract<ApproveResult, { outcome: 'completed' }>, 'outcome' | 'planId' | 'reviewUrl'>;
  try {
    await deps.plans.transition(userId, planId, {
      from: ['approved'],
      leaseOwner: runId,
      to: 'executing',
      patch: { lease: lease() },
    });
    const heartbeat = createHeartbeat(deps, { userId, planId, runId, leaseSeconds: settings.leaseSeconds });
    const progress = async (step: string, value: number) => {
      lastProgress = value;
      status('executing', step, value);
      await heartbeat.beat();
    };
    await progress('Collecting the changed files', 5);
    const counted = countCalls(deps.model);
    const run = await reviewPullRequest({ ...deps, model: counted.model }, stored, settings, {
      title: pr.title,
      description: pr.body,
      baseSha: pr.baseSha,
      signal: input.signal,
      progress,
      onFindings: (findings) => {
        for (const finding of findings) {
          if (
            (finding.severity === 'critical' || finding.severity === 'major') &&
            issues.length < MAX_STATUS_ISSUES
          ) {
            issues.push(
              `${finding.severity}: ${finding.path}:${finding.line} ${finding.message.slice(0, 100)}`,
            );
          }
        }
      },
    });
    // Out of time: fail cleanly now rather than risk the function being stopped half-way through posting.
    if (input.signal?.aborted) throw input.signal.reason ?? new Error('aborted');
    await progress('Posting the review', 95);
    // A fresh lease for the post: nobody can take the plan over while it is on its way, and a run that lost its
    // lease finds out here, before posting.
    await heartbeat.beat(true);
    const outcome = await postReview(deps, stored, run);
    if (outcome.kind === 'stale') {
      await fail(outcome.reason, 'plan_stale');
      return { outcome: 'stale', planId, message: failureMessage(outcome.reason, 'plan_stale') };
    }
    posted = outcome.review;
    report = {
      findings: run.inline.length + run.unanchored.length + run.overflow.length,
      inlineComments: outcome.inlineComments,
      reviewedFiles: run.summary.reviewed.length,
      skippedFiles: run.summary.skipped.length,
      modelCalls: counted.calls(),
      repeatedFindings: run.summary.repeated ?? 0,
      range: run.rangeText,
    };
    deps.metrics?.reviewFindings?.({
      bySeverity: countBySeverity([...run.inline, ...run.unanchored, ...run.overflow]),
      ...run.filtering,
    });
  } catch (error) {
    if (error instanceof PlanLeaseLostError) {
      // The plan belongs to another run now (or was cancelled): say so here and leave it alone.
      deps.logger?.warn('review run lost its lease', { planId });
      status('failed', error.message, lastProgress);
      emit({ type: 'error', code: error.code, message: error.message });
      return { outcome: 'failed', planId, reason: error.message };
    }
    const reason = describeFailure(error, input.signal);
    if (reason === undefined) {
      deps.logger?.warn('review failed unexpectedly', { planId, error: (error as Error).name });
    }
    const mayBePosted = error instanceof ReviewPostError && error.mayBePosted;
    await fail(reason ?? 'an internal error stopped the review', 'review_failed', mayBePosted);
    // Consent cannot wait inside a running review: the plan has failed, and the loop still shows the consent link.
    if (error instanceof ConsentRequiredError) throw error;
    return { outcome: 'failed', planId, reason: reason ?? 'an internal error stopped the review' };
  }

  await complete(posted.htmlUrl);
  deps.logger?.info('review posted', { planId, ...report });
  return { outcome: 'completed', planId, reviewUrl: posted.htmlUrl, ...report };
}

/**
 * Renews a run's lease on its plan as the review progresses: at most every third of the lease (each renewal is a
 * write), or at once when `force`d. One conditional write naming the run, so a run whose plan was restarted or
 * cancelled meanwhile learns it here: PlanLeaseLostError. Any other failure of an unforced renewal is only logged
 * (the next one may succeed; the forced one before posting must).
 */
function createHeartbeat(
  deps: Pick<ReviewDeps, 'plans' | 'now' | 'logger'>,
  run: { userId: string; planId: string; runId: string; leaseSeconds: number },
): { beat(force?: boolean): Promise<void> } {
  const nowSeconds = () => Math.floor(deps.now().getTime() / 1000);
  let renewedAt = nowSeconds();
  let inFlight: Promise<void> | undefined;
  const renew = async () => {
    const at = nowSeconds();
    try {
      await deps.plans.transition(run.userId, run.planId, {
        from: ['executing'],
        leaseOwner: run.runId,
        to: 'executing',
        patch: { lease: { owner: run.runId, expiresAt: at + run.leaseSeconds } },
      });
      renewedAt = at;
    } catch (error) {
      if (error instanceof ReviewError) throw new PlanLeaseLostError(run.planId);
      throw error;
    }
  };
  return {
    async beat(force = false) {
      if (!force && nowSeconds() - renewedAt < run.leaseSeconds / 3) return;
      // Concurrent review parts share one renewal.
      inFlight ??= renew().finally(() => {
        inFlight = undefined;
      });
      try {
        await inFlight;
      } catch (error) {
        if (force || error instanceof PlanLeaseLostError) throw error;
        deps.logger?.warn('could not renew the review lease', {
          planId: run.planId,
          error: (error as Error).name,
        });
      }
    },
  };
}

/**
 * Cancels a pending plan, or a running one whose lease lapsed (its run stopped: see approvePlan). One conditional
 * write; a run that wakes up afterwards finds its lease gone and posts nothing.
 * @throws PlanNotFoundError / PlanExpiredError / PlanConflictError (e.g. running or done): nothing changed
 */
export async function cancelPlan(
  deps: Pick<ReviewDeps, 'plans' | 'now'>,
  input: { userId: string; planId: string; emit?: Emit },
): Promise<{ outcome: 'cancelled'; planId: string; ref: PullRequestRef }> {
  const plan = await deps.plans.transition(input.userId, input.planId, {
    from: ['pending'],
    fromLapsed: RUNNING_STATUSES,
    to: 'cancelled',
  });
  input.emit?.({
    type: 'status',
    plan_id: input.planId,
    status: 'cancelled',
    current_step: 'Plan cancelled',
    progress: 0,
    issues: [],
    updated_at: deps.now().toISOString(),
  });
  return { outcome: 'cancelled', planId: input.planId, ref: plan.ref };
}

/** The session's pending plans, newest first: a plain "approve"/"cancel" applies when there is exactly one. */
export async function findPendingPlans(
  deps: Pick<ReviewDeps, 'plans'>,
  input: { userId: string; sessionId: string },
): Promise<StoredPlan[]> {
  return deps.plans.listPending(input.userId, input.sessionId);
}

/** The review, ready to post. */
interface ReviewRun {
  inline: AnchoredFinding[];
  overflow: AnchoredFinding[];
  unanchored: UnanchoredFinding[];
  /** Findings not posted, and self-check batches that failed open. */
  filtering: { belowThreshold: number; droppedBySelfCheck: number; selfCheckFailures: number };
  summary: Omit<ReviewSummary, 'inline' | 'unanchored' | 'overflow' | 'note'>;
  /** What the review covers, for the result (the body carries it only for re-reviews). */
  rangeText: string;
}

/**
 * The range a stored plan covers, resolved again now (its files are listed afresh): incremental from the plan's
 * `fromSha` while that is still part of the PR, else the whole PR.
 * @throws ReviewError when nothing is left to review since the last review
 */
async function planRange(
  deps: ReviewDeps,
  stored: StoredPlan,
  settings: Settings,
): Promise<Exclude<ReviewRange, { kind: 'no_changes' }>> {
  const range = await resolveRange(deps, stored.ref, stored, {
    from: stored.range?.kind === 'incremental' ? stored.range.fromSha : undefined,
    fullReason: stored.range?.kind === 'full' ? stored.range.reason : 'first_review',
    maxFiles: settings.maxFiles,
  });
  if (range.kind === 'no_changes') {
    throw new ReviewError('review_failed', describeNoChanges(stored.ref, range));
  }
  return range;
}

async function reviewPullRequest(
  deps: ReviewDeps,
  stored: StoredPlan,
  settings: Settings,
  hooks: {
    title: string;
    description: string;
    /** The PR's base commit now: recorded in the review's state marker, and where the repository's review rules are read. */
    baseSha: string;
    signal?: AbortSignal;
    /** Streams progress and renews the run's lease. @throws PlanLeaseLostError when the run lost the plan */
    progress: (step: string, value: number) => Promise<void>;
    onFindings: (findings: Finding[]) => void;
  },
): Promise<ReviewRun> {
  // The rules come from the base commit as it is now, never from the PR's head.
  const rules = await loadRepoConfig(deps.github, stored.ref, hooks.baseSha);
  const scoped = resolveScope(stored.pathPrefixes, rules.config, settings.pathPrefixes);
  // What earlier reviews posted (never repeated) and the part of the PR this one covers.
  const previous = await readPreviousReviews(deps.github, stored.ref);
  const range = await planRange(deps, stored, settings);
  const listing = range.listing;
  const selection = selectFiles(listing.files, scoped.pathPrefixes, scoped);
  const skipped: SkippedFile[] = [...selection.skipped];
  const files: ReviewFile[] = [];
  for (const file of selection.reviewable) {
    try {
      files.push({
        path: file.filename,
        status: file.status,
        additions: file.additions,
        deletions: file.deletions,
        previousPath: file.previousFilename,
        hunks: parsePatch(file.patch ?? ''),
      });
    } catch (error) {
      if (!(error instanceof DiffParseError)) throw error;
      skipped.push({ path: file.filename, reason: 'unparseable_diff' });
    }
  }

  const system = loadPrompt('review-system');
  const instructions = rules.config.instructions?.trim() ?? '';
  const promptFor = (chunk: Pick<Chunk, 'sections'>, number: number, count: number) =>
    chunkPrompt(
      stored,
      { title: hooks.title, description: hooks.description, instructions },
      chunk,
      number,
      count,
    );
  // The fixed part of every request (system prompt, template, plan, PR title and excerpt) at its longest, plus
  // room for the repair request: what is left is the diff's share of the budget.
  const fixed =
    estimateRequestTokens({
      system,
      messages: [{ role: 'user', content: [{ text: promptFor({ sections: [] }, 9999, 9999) }] }],
    }) +
    repairOverheadTokens(findingsLabel(9999, 9999)) +
    REPAIR_ANSWER_RESERVE_TOKENS;
  const chunking = buildChunks(orderByRelevance(files), {
    contentBudget: settings.chunkTokenBudget - fixed,
    maxChunks: settings.maxChunks,
  });
  skipped.push(...chunking.skipped);
  await hooks.progress(
    `Reviewing ${plural(chunking.reviewed.length, 'file')} in ${plural(chunking.chunks.length, 'part')}`,
    10,
  );

  const anchored: AnchoredFinding[] = [];
  const unanchored: UnanchoredFinding[] = [];
  const shown = new Map<string, ShownLine[]>();
  const total = chunking.chunks.length;
  let done = 0;
  await runPool(chunking.chunks, settings.concurrency, hooks.signal, async (chunk, signal) => {
    const number = chunk.index + 1;
    const answer = await completeJson({
      model: deps.model,
      system,
      prompt: promptFor(chunk, number, total),
      schema: chunkFindingsSchema,
      output: 'findings',
      what: findingsLabel(number, total),
      maxTokens: settings.maxOutputTokens,
      maxRequestTokens: settings.chunkTokenBudget,
      signal,
      metrics: deps.metrics,
    });
    const placed = anchorFindings(answer.findings, shownLines(chunk));
    for (const section of chunk.sections)
      shown.set(section.path, [...(shown.get(section.path) ?? []), ...section.lines]);
    anchored.push(...placed.anchored);
    unanchored.push(...placed.unanchored);
    hooks.onFindings(answer.findings);
    done += 1;
    await hooks.progress(`Reviewed part ${done} of ${total}`, 10 + (80 * done) / total);
  });

  await hooks.progress('Checking the findings against the diff', 92);
  const deduped = dedupeFindings<AnchoredFinding | UnanchoredFinding>([...anchored, ...unanchored]);
  // Never post a finding an earlier review of this PR posted (by fingerprint: its path, text and code, not its line).
  const texts = lineTexts(files);
  const fingerprints = new Map<AnchoredFinding | UnanchoredFinding, string>();
  const unique: Array<AnchoredFinding | UnanchoredFinding> = [];
  for (const finding of deduped) {
    const fingerprint = fingerprintFinding(finding, texts);
    if (previous.fingerprints.has(fingerprint)) continue;
    fingerprints.set(finding, fingerprint);
    unique.push(finding);
  }
  const repeated = deduped.length - unique.length;
  const threshold = rules.config.severity_threshold ?? settings.severityThreshold;
  // Below the threshold first: findings that will not be posted need no second opinion.
  const { kept: atThreshold, below } = applyThreshold(unique, threshold);
  const checked = settings.selfCheck
    ? await selfCheckFindings({
        model: deps.selfCheckModel ?? deps.model,
        findings: atThreshold,
        shown,
        pr: formatRef(stored.ref),
        maxTokens: settings.maxOutputTokens,
        signal: hooks.signal,
        logger: deps.logger,
      })
    : { kept: atThreshold, dropped: [], failedBatches: 0 };
  const keptAnchored = checked.kept.filter((finding): finding is AnchoredFinding => 'applicable' in finding);
  const keptUnanchored = checked.kept.filter((finding): finding is UnanchoredFinding => 'reason' in finding);
  const { inline, overflow } = selectInline(keptAnchored, settings.maxInlineComments);
  const sortedUnanchored = keptUnanchored.sort(bySeverity);
  const posted = [...inline, ...overflow, ...sortedUnanchored].sort(bySeverity);
  const rangeText = describeRange(range);
  return {
    inline,
    overflow,
    unanchored: sortedUnanchored,
    rangeText,
    filtering: {
      belowThreshold: below.length,
      droppedBySelfCheck: checked.dropped.length,
      selfCheckFailures: checked.failedBatches,
    },
    summary: {
      planId: stored.planId,
      stateMarker: renderStateMarker({
        head: stored.headSha,
        base: hooks.baseSha,
        ...(range.kind === 'incremental' ? { from: range.fromSha } : {}),
        // Most severe first: past the cap, the least severe may be repeated later.
        fingerprints: [...new Set(posted.map((finding) => fingerprints.get(finding) ?? ''))]
          .filter(Boolean)
          .slice(0, MAX_FINGERPRINTS),
      }),
      // A first review needs no explanation of its range; a re-review says what it covered.
      range: range.kind === 'full' && range.reason === 'first_review' ? undefined : rangeText,
      repeated,
      headSha: stored.headSha,
      reviewed: chunking.reviewed,
      skipped,
      outOfScope: selection.outOfScope,
      pathPrefixes: scoped.label,
      listingTruncated: listing.truncated,
      maxInline: settings.maxInlineComments,
      threshold,
      belowThreshold: below.length,
      droppedBySelfCheck: checked.dropped.length,
      configProblems: rules.problems,
    },
  };
}

function findingsLabel(number: number, count: number): string {
  return `findings JSON for part ${number} of ${count}`;
}

function chunkPrompt(
  stored: StoredPlan,
  pr: { title: string; description: string; instructions: string },
  chunk: Pick<Chunk, 'sections'>,
  number: number,
  count: number,
): string {
  const description = pr.description.replace(/\s+/g, ' ').trim();
  return loadPrompt('review-chunk', {
    chunk_number: number,
    chunk_count: count,
    pr: formatRef(stored.ref),
    objective: stored.plan.objective,
    steps: stored.plan.steps.map((step, i) => `${i + 1}. ${step}`).join('\n'),
    // The repository owner's text, in its own labelled section apart from the PR author's.
    repo_instructions:
      pr.instructions === ''
        ? ''
        : `\n${loadPrompt('review-repo-instructions', {
            marker: randomBytes(6).toString('hex'),
            instructions: pr.instructions,
          })}`,
    // A fresh random marker per request: the PR's author cannot write a matching "END" line into the diff.
    marker: randomBytes(6).toString('hex'),
    title: pr.title.replace(/\s+/g, ' ').slice(0, 300),
    description:
      description.length > DESCRIPTION_EXCERPT_CHARS
        ? `${description.slice(0, DESCRIPTION_EXCERPT_CHARS)}…`
        : description || '(none)',
    files: chunk.sections.map((section) => section.text).join('\n'),
  });
}

/** Per path, the lines this chunk showed: anchors must point at lines the model actually saw. */
function shownLines(chunk: Chunk): Map<string, LineIndex> {
  const shown = new Map<string, LineIndex>();
  for (const section of chunk.sections) {
    const index = shown.get(section.path) ?? emptyIndex();
    indexLines(section.lines, index);
    shown.set(section.path, index);
  }
  return shown;
}

type PostOutcome =
  | { kind: 'posted'; review: PostedReview; inlineComments: number }
  | { kind: 'stale'; reason: string };

/**
 * Posts the one review. On GitHub's 422 (nothing created) it re-checks the head, then retries once: with single-line
 * comments when GitHub objected to a range, else with every finding in the body. Never more than two attempts, and
 * never a retry after any other error (a 5xx might have created the review: {@link sendOnce} looks for it instead).
 */
async function postReview(deps: ReviewDeps, stored: StoredPlan, run: ReviewRun): Promise<PostOutcome> {
  const first: CreateReviewInput = {
    commitId: stored.headSha,
    event: 'COMMENT',
    body: renderReviewBody({
      ...run.summary,
      inline: run.inline,
      unanchored: run.unanchored,
      overflow: run.overflow,
    }),
    comments: run.inline.map(toReviewComment),
  };
  try {
    const review = await sendOnce(deps, stored, first);
    return { kind: 'posted', review, inlineComments: first.comments.length };
  } catch (error) {
    if (!(error instanceof GitHubValidationError)) throw error;
    deps.logger?.warn('GitHub refused the review; retrying once', { planId: stored.planId });
    const pr = await deps.github.getPullRequest(stored.ref);
    if (pr.headSha !== stored.headSha) {
      return { kind: 'stale', reason: 'PR head moved while the review was running' };
    }
    const second = retryReview(first, run, error);
    try {
      const review = await sendOnce(deps, stored, second);
      return { kind: 'posted', review, inlineComments: second.comments.length };
    } catch (again) {
      if (again instanceof GitHubValidationError) {
        throw new ReviewError('review_failed', `GitHub refused the review twice: ${githubProblem(again)}`);
      }
      throw again;
    }
  }
}

/**
 * Sends one createReview. When it fails in a way GitHub may have acted on anyway (a 5xx, a network error, a timeout),
 * the PR is searched for the plan's marker instead of guessing: found → that review, posted after all; not found →
 * ReviewPostError (not posted); the search failing too → ReviewPostError saying it may have been posted. The review
 * is never sent again from here.
 * @throws GitHub's refusals (422 GitHubValidationError, other 4xx) and failures before sending, unchanged
 */
async function sendOnce(
  deps: ReviewDeps,
  stored: StoredPlan,
  review: CreateReviewInput,
): Promise<PostedReview> {
  try {
    return await deps.github.createReview(stored.ref, review);
  } catch (error) {
    if (!mayHaveCreated(error)) throw error;
    const failure = describePostFailure(error);
    const planId = stored.planId;
    deps.logger?.warn('posting the review failed; looking for it on the pull request', {
      planId,
      error: (error as Error).name,
    });
    let found: PostedReview | undefined;
    try {
      found = await deps.github.findReview(stored.ref, reviewMarker(planId));
    } catch (lookup) {
      deps.logger?.warn('could not look for the review on the pull request', {
        planId,
        error: (lookup as Error).name,
      });
      throw new ReviewPostError(
        `posting the review failed (${failure}) and looking for it on the pull request failed too, so it may have been posted: check the pull request before asking for a new review`,
        true,
      );
    }
    if (found === undefined) {
      throw new ReviewPostError(
        `posting the review failed (${failure}); the review was not found on the pull request afterwards, so it was not posted`,
        false,
      );
    }
    deps.logger?.info('the review was created despite the failed post', { planId });
    return found;
  }
}

/** GitHub's answers that refuse a request outright (the ones the client never retries): nothing was created. */
const REFUSED_STATUSES = new Set([400, 401, 403, 404, 410, 422, 429, 451]);

/** False when GitHub surely created nothing: it refused the post, or the request never left (consent, credentials). */
function mayHaveCreated(error: unknown): boolean {
  if (error instanceof GitHubValidationError || error instanceof ConsentRequiredError) return false;
  if (credentialProblem(error) !== undefined) return false;
  const status = (error as { status?: unknown } | undefined)?.status;
  return !(typeof status === 'number' && REFUSED_STATUSES.has(status));
}

/** "GitHub answered 502: ..." for an HTTP answer; otherwise (network error, timeout) that GitHub did not answer. */
function describePostFailure(error: unknown): string {
  const { status, response } = (error ?? {}) as { status?: unknown; response?: unknown };
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  // Octokit reports a network failure, a timeout or an abort as status 500 without a response.
  const answered =
    typeof status === 'number' &&
    !(response === undefined && (name === 'HttpError' || name === 'AbortError'));
  return answered ? `GitHub answered ${status}: ${message}` : `GitHub did not answer: ${message}`;
}

function retryReview(
  first: CreateReviewInput,
  run: ReviewRun,
  error: GitHubValidationError,
): CreateReviewInput {
  const problem = githubProblem(error);
  const hasRanges = run.inline.some((finding) => finding.start_line !== undefined);
  // GitHub often sends one combined message ("line must be part of the diff, start line must be part of the same
  // hunk..., and diff hunk can't be blank") whichever comment failed: only a purely range-shaped complaint earns the
  // single-line retry; anything else moves every finding to the body, which GitHub cannot refuse for anchors.
  const rangeOnly =
    /start[_ ]line|start[_ ]side/i.test(problem) &&
    !/part of the diff|could not be resolved|can't be blank/i.test(problem);
  if (hasRanges && rangeOnly) {
    const single = run.inline.map((finding) =>
      finding.start_line === undefined ? finding : { ...finding, start_line: undefined, applicable: false },
    );
    return { ...first, comments: single.map(toReviewComment) };
  }
  const moved: UnanchoredFinding[] = run.inline.map((finding) => ({
    ...finding,
    reason: 'refused by GitHub',
  }));
  return {
    ...first,
    comments: [],
    body: renderReviewBody({
      ...run.summary,
      inline: [],
      unanchored: [...moved, ...run.unanchored],
      overflow: run.overflow,
      note: loadPrompt('review-body-inline-refused', { reason: problem.slice(0, 200) }).trim(),
    }),
  };
}

function githubProblem(error: GitHubValidationError): string {
  return [error.message, ...error.errors].join('; ');
}

/** A human reason for a failure we understand; undefined for a bug (logged, not shown). */
function describeFailure(error: unknown, signal: AbortSignal | undefined): string | undefined {
  // A post that was under way is not stopped by the time budget: what happened to it outranks "out of time".
  if (error instanceof ReviewPostError) return error.message;
  if (signal?.aborted) return 'the review ran out of time before it could be posted';
  if (error instanceof ReviewError) return error.message;
  const credentials = credentialProblem(error);
  if (credentials !== undefined) return credentials;
  if (error instanceof ModelError) return `the model call failed: ${error.message}`;
  if (error instanceof ConsentRequiredError) return 'GitHub asked for authorization again during the review';
  if (error instanceof GitHubValidationError) return `GitHub refused a request: ${githubProblem(error)}`;
  // Octokit's RequestError (and adapters built like it) carry the HTTP status.
  if (error instanceof Error && typeof (error as { status?: unknown }).status === 'number') {
    return `GitHub answered ${(error as Error & { status: number }).status}: ${error.message}`;
  }
  return undefined;
}

function failureMessage(reason: string, code: 'review_failed' | 'plan_stale', mayBePosted = false): string {
  if (code === 'plan_stale') {
    return `Nothing was posted: the ${reason}. Ask for a new review plan to review the latest changes.`;
  }
  // The reason itself says the review may have been posted and what to do. Some reasons (credential messages) end
  // with a full stop of their own.
  const sentence = reason.replace(/\.$/, '');
  return mayBePosted
    ? `The review failed: ${sentence}.`
    : `The review failed and nothing was posted: ${sentence}.`;
}

/** Counts model calls (reported in the result and logs: the large-PR test measures them). */
function countCalls(model: ModelPort): { model: ModelPort; calls: () => number } {
  let calls = 0;
  return {
    model: {
      stream(request) {
        calls += 1;
        return model.stream(request);
      },
    },
    calls: () => calls,
  };
}

/**
 * Runs `work` over `items` with at most `concurrency` in flight. The first failure aborts the rest (their model calls
 * get an aborted signal) and is rethrown; so is an abort of `outer`.
 */
async function runPool<T>(
  items: T[],
  concurrency: number,
  outer: AbortSignal | undefined,
  work: (item: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && !signal.aborted && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await work(item, signal);
      } catch (error) {
        failure ??= { error };
        controller.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  if (outer?.aborted) throw outer.reason ?? new Error('aborted');
}
