import { loadPrompt } from '../prompts';
import { DiffParseError, type Hunk, parsePatch } from './diff';
import { type ReviewState, trustedStates } from './marker';
import { plural } from './plan';
import type {
  FileListing,
  FullReviewReason,
  PullRequestFile,
  PullRequestInfo,
  PullRequestRef,
  ReviewDeps,
  ReviewGitHub,
  StoredRange,
} from './ports';

/**
 * Incremental re-review: which part of a PR the next review covers. The agent's earlier reviews on the PR record the
 * head they covered and the findings they posted (marker.ts); a re-review compares that head with the PR's current
 * head (GitHub's compare API) and reviews only the PR's hunks those commits touched. When the old head is no longer
 * part of the PR (a force push: compare answers 404, `diverged` or `behind`), the whole PR is reviewed again. Either
 * way, findings already posted are dropped by fingerprint.
 */

/** `auto`: only what changed since the agent's last review of the PR (everything on a first review). `full`: all. */
export type ReviewMode = 'auto' | 'full';

/** What the agent's earlier reviews of the PR recorded (only reviews written by the token's own account count). */
export interface PreviousReviews {
  /** Fingerprints of every finding they posted. */
  fingerprints: Set<string>;
  /** The newest recorded state: its head is where an incremental review starts. */
  last?: ReviewState;
}

/** The part of the PR a review covers, with the files (and hunks) to review. */
export type ReviewRange =
  | {
      kind: 'incremental';
      fromSha: string;
      headSha: string;
      /** Commits since `fromSha`. */
      commits: number;
      /** The PR's files, cut down to the hunks the new commits touched. */
      listing: FileListing;
    }
  | { kind: 'full'; reason: FullReviewReason; headSha: string; listing: FileListing }
  /** The PR's head is the one last reviewed, or the new commits changed nothing the PR's diff shows. */
  | { kind: 'no_changes'; headSha: string; fromSha: string };

/**
 * Reads the state the agent's earlier reviews left on the PR: the reviews written by the token's own GitHub account,
 * newest state last. Markers in anyone else's reviews are ignored (see trustedStates).
 */
export async function readPreviousReviews(
  github: Pick<ReviewGitHub, 'viewerLogin' | 'listReviews'>,
  ref: PullRequestRef,
): Promise<PreviousReviews> {
  const [viewer, reviews] = await Promise.all([github.viewerLogin(), github.listReviews(ref)]);
  const states = trustedStates(reviews, viewer);
  const fingerprints = new Set<string>();
  for (const { state } of states) for (const fingerprint of state.fingerprints) fingerprints.add(fingerprint);
  return { fingerprints, last: states.at(-1)?.state };
}

/**
 * Decides what a review of the PR covers and lists its files: the PR's whole diff (`full`), or its hunks touched by
 * the commits since the last reviewed head (`incremental`), or nothing (`no_changes`: nothing may be posted).
 * `from` is where an incremental review starts (the last reviewed head); undefined → full with `fullReason`.
 * @throws ConsentRequiredError and GitHub errors other than compare's 404 from the port
 */
export async function resolveRange(
  deps: Pick<ReviewDeps, 'github' | 'logger'>,
  ref: PullRequestRef,
  pr: Pick<PullRequestInfo, 'headSha'>,
  input: { from?: string; fullReason: FullReviewReason; maxFiles: number },
): Promise<ReviewRange> {
  const full = async (reason: FullReviewReason): Promise<ReviewRange> => ({
    kind: 'full',
    reason,
    headSha: pr.headSha,
    listing: await deps.github.listFiles(ref, { maxFiles: input.maxFiles }),
  });
  const from = input.from;
  if (from === undefined) return full(input.fullReason);
  if (from === pr.headSha) return { kind: 'no_changes', headSha: pr.headSha, fromSha: from };
  const comparison = await deps.github.compareCommits(ref, from, pr.headSha);
  // 404: GitHub no longer knows the old head. Diverged or behind: it is no longer an ancestor of the PR's head.
  if (comparison === undefined || comparison.status === 'diverged' || comparison.status === 'behind') {
    deps.logger?.info('re-review: the last reviewed head is no longer part of the PR', {
      status: comparison?.status ?? 'not_found',
    });
    return full('force_push');
  }
  if (comparison.status === 'identical') return { kind: 'no_changes', headSha: pr.headSha, fromSha: from };
  if (comparison.filesTruncated) return full('too_many_changes');
  const listing = await deps.github.listFiles(ref, { maxFiles: input.maxFiles });
  const files = restrictToChanges(listing.files, comparison.files);
  if (files.length === 0) return { kind: 'no_changes', headSha: pr.headSha, fromSha: from };
  return {
    kind: 'incremental',
    fromSha: from,
    headSha: pr.headSha,
    commits: comparison.aheadBy,
    listing: { files, truncated: listing.truncated },
  };
}

/**
 * Plans the range of a review for the webhook worker and the chat: reads the agent's earlier reviews of the PR, and
 * decides whether to review only the commits since the last reviewed head (`auto`, when there is one and it is still
 * part of the PR), the whole PR (`full`, a first review, or after a force push), or nothing (no changes since).
 * `beforeSha` (a `synchronize` event's `before`) is only a hint, logged when it differs: the markers on the PR say
 * what was actually reviewed, so pushes that were never reviewed are covered too.
 *
 * @example
 *   const { range, previous } = await planIncrementalReview(deps, ref, { mode: 'auto', beforeSha: job.beforeSha });
 *   if (range.kind === 'no_changes') return; // nothing to post
 * @throws ConsentRequiredError and GitHub errors (other than compare's 404) from the port
 */
export async function planIncrementalReview(
  deps: Pick<ReviewDeps, 'github' | 'logger'> & { settings: { maxFiles?: number } },
  ref: PullRequestRef,
  options: { mode: ReviewMode; beforeSha?: string; pr?: Pick<PullRequestInfo, 'headSha'> },
): Promise<{ range: ReviewRange; previous: PreviousReviews }> {
  const pr = options.pr ?? (await deps.github.getPullRequest(ref));
  const previous = await readPreviousReviews(deps.github, ref);
  const last = previous.last?.head;
  if (options.beforeSha !== undefined && last !== undefined && options.beforeSha !== last) {
    deps.logger?.info('re-review: the push started after a head that was not reviewed; covering both');
  }
  const from = options.mode === 'full' ? undefined : last;
  const range = await resolveRange(deps, ref, pr, {
    from,
    fullReason: options.mode === 'full' ? 'requested' : 'first_review',
    maxFiles: deps.settings.maxFiles ?? 3000,
  });
  return { range, previous };
}

/** What a plan stores of a range (its files are listed again when it runs). */
export function storedRange(range: Exclude<ReviewRange, { kind: 'no_changes' }>): StoredRange {
  return range.kind === 'incremental'
    ? { kind: 'incremental', fromSha: range.fromSha }
    : { kind: 'full', reason: range.reason };
}

/**
 * The PR's files cut down to what the compared commits changed: for each file both list, only the PR's hunks whose
 * new-side lines those commits added to or deleted next to. Hunks come from the PR's own diff, so every line shown
 * can take a review comment; files the commits changed back to the base (or brought in by merging the base) are not
 * in the PR's diff and drop out. A file whose compare patch is missing (binary, too large) is kept whole.
 */
export function restrictToChanges(prFiles: PullRequestFile[], changed: PullRequestFile[]): PullRequestFile[] {
  const byPath = new Map(changed.map((file) => [file.filename, file]));
  const kept: PullRequestFile[] = [];
  for (const file of prFiles) {
    const change = byPath.get(file.filename);
    if (change === undefined) continue;
    if (change.patch === undefined || file.patch === undefined) {
      kept.push(file);
      continue;
    }
    let prHunks: Hunk[];
    let touched: Set<number>;
    try {
      prHunks = parsePatch(file.patch);
      touched = touchedLines(parsePatch(change.patch));
    } catch (error) {
      // An unreadable patch is reviewed whole (and skipped there as unparseable if it is the PR's own).
      if (!(error instanceof DiffParseError)) throw error;
      kept.push(file);
      continue;
    }
    const hunks = prHunks.filter((hunk) => {
      const [first, last] = newRange(hunk);
      for (let line = first; line <= last; line += 1) if (touched.has(line)) return true;
      return false;
    });
    if (hunks.length === 0) continue;
    if (hunks.length === prHunks.length) {
      kept.push(file);
      continue;
    }
    const additions = hunks.reduce((sum, hunk) => sum + count(hunk, 'add'), 0);
    const deletions = hunks.reduce((sum, hunk) => sum + count(hunk, 'del'), 0);
    kept.push({
      ...file,
      patch: hunks.map(renderHunk).join('\n'),
      additions,
      deletions,
      changes: additions + deletions,
    });
  }
  return kept;
}

/** New-side line numbers a patch added, and those either side of where it deleted lines. */
function touchedLines(hunks: Hunk[]): Set<number> {
  const touched = new Set<number>();
  for (const hunk of hunks) {
    let next = hunk.newStart;
    for (const line of hunk.lines) {
      if (line.kind === 'add' && line.newLine !== null) touched.add(line.newLine);
      if (line.kind === 'del') {
        touched.add(next);
        touched.add(next - 1);
      }
      if (line.newLine !== null) next = line.newLine + 1;
    }
  }
  return touched;
}

/** The first and last new-side line a hunk covers (a pure deletion covers the line it sits at). */
function newRange(hunk: Hunk): [number, number] {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const line of hunk.lines) {
    if (line.newLine === null) continue;
    first = Math.min(first, line.newLine);
    last = Math.max(last, line.newLine);
  }
  return first <= last ? [first, last] : [hunk.newStart, hunk.newStart];
}

function count(hunk: Hunk, kind: 'add' | 'del'): number {
  return hunk.lines.filter((line) => line.kind === kind).length;
}

function renderHunk(hunk: Hunk): string {
  const sign = { add: '+', del: '-', context: ' ' } as const;
  return [hunk.header, ...hunk.lines.map((line) => `${sign[line.kind]}${line.text}`)].join('\n');
}

/** `abc1234`: a commit as people read it. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/**
 * One line saying what a review covers, from prompts/review-range-*.md: "Reviewed commits abc1234..def5678 (3 commits,
 * 4 files)", or why it is a full review.
 */
export function describeRange(range: Exclude<ReviewRange, { kind: 'no_changes' }>): string {
  if (range.kind === 'incremental') {
    return loadPrompt('review-range-incremental', {
      from: shortSha(range.fromSha),
      to: shortSha(range.headSha),
      commits: plural(range.commits, 'commit'),
      files: plural(range.listing.files.length, 'file'),
    }).trim();
  }
  return loadPrompt(`review-range-full-${range.reason.replace(/_/g, '-')}`).trim();
}

/** The answer when nothing changed since the last review: nothing is planned or posted. */
export function describeNoChanges(
  ref: PullRequestRef,
  range: Extract<ReviewRange, { kind: 'no_changes' }>,
): string {
  // The same head, or new commits that only touched what the PR's diff does not show (e.g. a merge of the base).
  return loadPrompt(range.headSha === range.fromSha ? 'review-no-changes' : 'review-no-changes-moved', {
    pr: `${ref.owner}/${ref.repo}#${ref.number}`,
    head: shortSha(range.headSha),
    from: shortSha(range.fromSha),
  }).trim();
}
