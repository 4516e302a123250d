import { loadPrompt } from '../prompts';
import {
  type AnchoredFinding,
  bySeverity,
  type Finding,
  neutraliseMentions,
  SEVERITIES,
  type Severity,
  severityLabel,
  type UnanchoredFinding,
} from './findings';
import { plural } from './plan';
import { describeSkipped, type SkippedFile, skipLabel } from './scope';
import { groupBySeverity } from './severity';

/** What the review body reports. */
export interface ReviewSummary {
  /** The plan this review carries out: its hidden marker lets a failed post be looked up on the PR. */
  planId: string;
  headSha: string;
  reviewed: string[];
  skipped: SkippedFile[];
  outOfScope: string[];
  pathPrefixes: string[];
  listingTruncated: boolean;
  /** Findings posted inline (only counted here). */
  inline: Finding[];
  /** Findings with no valid line: listed in full. */
  unanchored: UnanchoredFinding[];
  /** Valid findings over the inline cap: listed in full. */
  overflow: AnchoredFinding[];
  maxInline: number;
  /** One extra line, e.g. why inline comments were moved into the body. */
  note?: string;
  /** The hidden review-state line (marker.ts), right after the plan marker so no cut for size drops it. */
  stateMarker?: string;
  /** What a re-review covered, e.g. "Reviewed commits abc1234..def5678 (3 commits, 4 files)". */
  range?: string;
  /** Findings left out because an earlier review of the PR posted them. */
  repeated?: number;
  /** The severity threshold this review posted at (the repository's or the operator's). */
  threshold?: Severity;
  /** Findings below `threshold`: counted, not listed. */
  belowThreshold?: number;
  /** Findings the self-check found unsupported by their diff lines: counted, not listed. */
  droppedBySelfCheck?: number;
  /** Why the repository's `.github/coding-agent.yml` could not be used (its defaults were): one line each. */
  configProblems?: string[];
}

/** GitHub caps a review body at 65,536 characters; stay clear of it. */
const MAX_BODY_CHARS = 60_000;
const MAX_LISTED_FILES = 500;
const MAX_LISTED_FINDINGS = 100;
const MAX_FINDING_CHARS = 300;

/**
 * The hidden, stable line (an HTML comment, from prompts/review-marker.md) that every review body of plan `planId`
 * starts with: after a post whose outcome is unknown, finding it on the PR tells whether GitHub created the review.
 */
export function reviewMarker(planId: string): string {
  return loadPrompt('review-marker', { plan_id: planId }).trim();
}

/**
 * Renders the review body from prompts/review-body*.md: the plan's hidden marker first (so a cut for size never drops
 * it), a one-line count per severity, what was reviewed, what was skipped and why, and the findings that are not
 * inline. File lists fold into <details> to keep the body short.
 */
export function renderReviewBody(summary: ReviewSummary): string {
  const all = [...summary.inline, ...summary.unanchored, ...summary.overflow];
  const notes = [
    summary.range,
    summary.note,
    summary.listingTruncated ? loadPrompt('review-body-truncated').trim() : undefined,
    summary.repeated
      ? loadPrompt('review-body-repeated', { count: plural(summary.repeated, 'finding') }).trim()
      : undefined,
  ].filter(Boolean);
  const body = loadPrompt('review-body', {
    marker: reviewMarker(summary.planId),
    state: summary.stateMarker ?? '',
    summary: severitySummary(all),
    filtered: filteredLine(summary),
    config: configNote(summary.configProblems ?? []),
    notes: notes.map((note) => `${note}\n\n`).join(''),
    reviewed_count: plural(summary.reviewed.length, 'file'),
    reviewed: fileList(summary.reviewed),
    skipped:
      summary.skipped.length === 0
        ? ''
        : loadPrompt('review-body-skipped', {
            count: plural(summary.skipped.length, 'file'),
            reasons: describeSkipped(summary.skipped),
            files: limitList(
              summary.skipped.map((file) => `- ${code(file.path)}: ${skipLabel(file.reason)}`),
              MAX_LISTED_FILES,
            ),
          }),
    out_of_scope:
      summary.outOfScope.length === 0
        ? ''
        : loadPrompt('review-body-out-of-scope', {
            count: plural(summary.outOfScope.length, 'file'),
            prefixes: summary.pathPrefixes.join(', '),
            files: fileList(summary.outOfScope),
          }),
    unanchored:
      summary.unanchored.length === 0
        ? ''
        : loadPrompt('review-body-unanchored', { findings: findingList(summary.unanchored) }),
    overflow:
      summary.overflow.length === 0
        ? ''
        : loadPrompt('review-body-overflow', {
            max: summary.maxInline,
            findings: findingList(summary.overflow),
          }),
    head_sha: summary.headSha.slice(0, 12),
  });
  const tidy = body.replace(/\n{3,}/g, '\n\n').trim();
  return tidy.length > MAX_BODY_CHARS
    ? `${tidy.slice(0, MAX_BODY_CHARS)}\n\n[...cut: the review body hit GitHub's size limit]`
    : tidy;
}

/** "3 findings: 🔴 1 critical · 🟠 2 major", or that nothing was found. */
export function severitySummary(findings: Finding[]): string {
  if (findings.length === 0) return 'No issues found in the reviewed changes.';
  const parts = SEVERITIES.map((severity) => {
    const count = findings.filter((finding) => finding.severity === severity).length;
    return count === 0 ? undefined : `${severityLabel(severity).split(' ')[0]} ${count} ${severity}`;
  }).filter(Boolean);
  return `**${plural(findings.length, 'finding')}:** ${parts.join(' · ')}`;
}

function fileList(paths: string[]): string {
  return limitList(
    paths.map((path) => `- ${code(path)}`),
    MAX_LISTED_FILES,
  );
}

/** Findings under one bold heading per severity, most severe first; the list as a whole is capped. */
function findingList(findings: Finding[]): string {
  const lines: string[] = [];
  let listed = 0;
  for (const group of groupBySeverity([...findings].sort(bySeverity))) {
    if (listed >= MAX_LISTED_FINDINGS) break;
    lines.push(`**${severityLabel(group.severity)}**`, '');
    for (const finding of group.findings.slice(0, MAX_LISTED_FINDINGS - listed)) {
      const where = `${finding.path}:${finding.start_line !== undefined ? `${finding.start_line}-` : ''}${finding.line}`;
      const unsure = finding.confidence === 'low' ? ' _(low confidence)_' : '';
      lines.push(`- ${code(where)} ${neutraliseMentions(oneLine(finding.message))}${unsure}`);
      listed += 1;
    }
    lines.push('');
  }
  if (findings.length > listed) lines.push(`- ...and ${findings.length - listed} more`);
  return lines.join('\n').trim();
}

/** "2 findings below the `major` threshold were not posted; the self-check dropped 1 …", or nothing. */
function filteredLine(summary: ReviewSummary): string {
  const parts: string[] = [];
  if ((summary.belowThreshold ?? 0) > 0 && summary.threshold !== undefined) {
    parts.push(
      loadPrompt('review-body-below-threshold', {
        count: plural(summary.belowThreshold ?? 0, 'finding'),
        threshold: summary.threshold,
      }).trim(),
    );
  }
  if ((summary.droppedBySelfCheck ?? 0) > 0) {
    parts.push(
      loadPrompt('review-body-self-check', {
        count: plural(summary.droppedBySelfCheck ?? 0, 'finding'),
      }).trim(),
    );
  }
  return parts.length === 0 ? '' : `${parts.join(' ')}\n\n`;
}

/** The warning that the repository's rules file was not used, with what is wrong in it (its owner's text, defused). */
function configNote(problems: string[]): string {
  if (problems.length === 0) return '';
  return `${loadPrompt('review-body-config-invalid', {
    // The template's quote marker starts the first line; the others carry their own.
    problems: problems.map((problem) => `- ${neutraliseMentions(oneLine(problem))}`).join('\n> '),
  }).trim()}\n\n`;
}

function limitList(lines: string[], max: number): string {
  if (lines.length <= max) return lines.join('\n');
  return [...lines.slice(0, max), `- ...and ${lines.length - max} more`].join('\n');
}

/** Inline code that a backtick in the text cannot break out of. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_FINDING_CHARS ? `${flat.slice(0, MAX_FINDING_CHARS - 1)}…` : flat;
}
