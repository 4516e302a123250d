import * as z from 'zod';
import { loadPrompt } from '../prompts';
import { longestRun, trimTrailing } from '../text';
import { checkAnchor, type LineIndex } from './diff';
import type { ReviewCommentInput } from './ports';

export const SEVERITIES = ['critical', 'major', 'minor', 'nit'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** How sure the model is that a finding is real: asked for as a word, a 0..1 number is accepted too. */
export const CONFIDENCES = ['high', 'medium', 'low'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

const lower = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : value);
const upper = (value: unknown) => (typeof value === 'string' ? value.trim().toUpperCase() : value);
const absent = (value: unknown) => (value === null || value === '' ? undefined : value);
/** A missing confidence reads as "medium"; a number is bucketed (models sometimes answer 0.9 for "high"). */
const toConfidence = (value: unknown) => {
  if (typeof value === 'number') return value >= 0.75 ? 'high' : value >= 0.4 ? 'medium' : 'low';
  return absent(lower(value));
};

/** One finding as the model reports it (lenient on case and nulls, strict on meaning). */
export const findingSchema = z.object({
  path: z.string().trim().min(1, 'must name a file from the diff'),
  line: z.coerce.number().int().positive('must be a line number from the diff'),
  start_line: z.preprocess(absent, z.coerce.number().int().positive().optional()),
  side: z.preprocess((value) => absent(upper(value)) ?? 'RIGHT', z.enum(['RIGHT', 'LEFT'])),
  severity: z.preprocess(lower, z.enum(SEVERITIES)),
  confidence: z.preprocess(toConfidence, z.enum(CONFIDENCES).default('medium')),
  message: z.string().trim().min(1, 'must say what is wrong').max(2000, 'must be at most 2000 characters'),
  suggestion: z.preprocess(absent, z.string().optional()),
});

export type Finding = z.infer<typeof findingSchema>;

/** A chunk's answer: `{"findings": [...]}` (a bare array is accepted too). */
export const chunkFindingsSchema = z.preprocess(
  (value) => (Array.isArray(value) ? { findings: value } : value),
  z.object({ findings: z.array(findingSchema).max(50, 'report at most 50 findings per chunk') }),
);

/** A finding GitHub will accept inline; `applicable` is false when its suggestion cannot be a one-click change. */
export interface AnchoredFinding extends Finding {
  applicable: boolean;
}

/** A finding kept for the review body, with why it could not be placed on a line. */
export interface UnanchoredFinding extends Finding {
  reason: string;
}

/**
 * Validates each finding's anchor against the lines shown in its chunk (`shown`: path → line index). A range that
 * GitHub would refuse is narrowed to its last line; a finding whose line is not in the diff goes to the body.
 */
export function anchorFindings(
  findings: Finding[],
  shown: Map<string, LineIndex>,
): { anchored: AnchoredFinding[]; unanchored: UnanchoredFinding[] } {
  const anchored: AnchoredFinding[] = [];
  const unanchored: UnanchoredFinding[] = [];
  for (const raw of findings) {
    const index = shown.get(raw.path);
    if (index === undefined) {
      unanchored.push({ ...raw, reason: 'the file is not part of the reviewed diff' });
      continue;
    }
    const finding = normaliseRange(raw);
    const single = checkAnchor(index, { line: finding.line, side: finding.side });
    if (!single.ok) {
      unanchored.push({ ...finding, reason: single.reason });
      continue;
    }
    const ranged =
      finding.start_line === undefined
        ? single
        : checkAnchor(index, { line: finding.line, side: finding.side, startLine: finding.start_line });
    if (ranged.ok) {
      anchored.push({ ...finding, applicable: finding.side === 'RIGHT' });
    } else {
      // The range would be refused; its last line is valid, and a range suggestion no longer applies to it.
      anchored.push({ ...finding, start_line: undefined, applicable: false });
    }
  }
  return { anchored, unanchored };
}

function normaliseRange(finding: Finding): Finding {
  const { start_line: start, line } = finding;
  if (start === undefined || start === line) return { ...finding, start_line: undefined };
  return start > line ? { ...finding, start_line: line, line: start } : finding;
}

const RANK: Record<Severity, number> = { critical: 0, major: 1, minor: 2, nit: 3 };

/** Most severe first, then by path and line (stable, so equal findings keep the model's order). */
export function bySeverity<F extends Finding>(a: F, b: F): number {
  return RANK[a.severity] - RANK[b.severity] || a.path.localeCompare(b.path) || a.line - b.line;
}

/** Lines apart within which two similar findings on one file are the same finding seen twice. */
const NEAR_LINES = 3;
const SIMILAR = 0.6;

/**
 * Drops repeated findings: the same path, side and line with the same normalised message, or a near-duplicate
 * (same path and side, within 3 lines, mostly the same words), as happens where a split file's parts meet.
 * The most severe of a group is kept.
 */
export function dedupeFindings<F extends Finding>(findings: F[]): F[] {
  const kept: Array<{ finding: F; words: Set<string>; text: string }> = [];
  for (const finding of [...findings].sort(bySeverity)) {
    const text = normaliseMessage(finding.message);
    const words = new Set(text.split(' ').filter((word) => word.length > 0));
    const duplicate = kept.some(
      (other) =>
        other.finding.path === finding.path &&
        other.finding.side === finding.side &&
        Math.abs(other.finding.line - finding.line) <= NEAR_LINES &&
        (other.text === text || jaccard(other.words, words) >= SIMILAR),
    );
    if (!duplicate) kept.push({ finding, words, text });
  }
  return kept.map((entry) => entry.finding);
}

function normaliseMessage(message: string): string {
  return message
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared += 1;
  return shared / (a.size + b.size - shared);
}

/** Splits anchored findings into inline comments (most severe first, at most `max`) and the overflow for the body. */
export function selectInline(
  findings: AnchoredFinding[],
  max: number,
): { inline: AnchoredFinding[]; overflow: AnchoredFinding[] } {
  const sorted = [...findings].sort(bySeverity);
  return { inline: sorted.slice(0, max), overflow: sorted.slice(max) };
}

const SEVERITY_LABELS: Record<Severity, string> = {
  critical: '🔴 Critical',
  major: '🟠 Major',
  minor: '🟡 Minor',
  nit: '⚪ Nit',
};

export function severityLabel(severity: Severity): string {
  return SEVERITY_LABELS[severity];
}

/** The inline comment GitHub receives for one anchored finding. */
export function toReviewComment(finding: AnchoredFinding): ReviewCommentInput {
  const comment: ReviewCommentInput = {
    path: finding.path,
    line: finding.line,
    side: finding.side,
    body: renderCommentBody(finding),
  };
  if (finding.start_line !== undefined) {
    comment.start_line = finding.start_line;
    comment.start_side = finding.side;
  }
  return comment;
}

/** A comment body from prompts/review-comment.md; a suggestion is a one-click ```suggestion only where it applies. */
export function renderCommentBody(finding: AnchoredFinding): string {
  return loadPrompt('review-comment', {
    severity: severityLabel(finding.severity),
    message: neutraliseMentions(finding.message),
    // Only a doubt is worth the reader's attention; high and medium read the same.
    confidence: finding.confidence === 'low' ? ' _(low confidence)_' : '',
    suggestion:
      finding.suggestion === undefined
        ? ''
        : `\n\n${codeBlock(finding.suggestion, finding.applicable ? 'suggestion' : '')}`,
  }).trim();
}

/** A fenced block that survives backticks inside `content` (the fence is longer than any run in it). */
export function codeBlock(content: string, info: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
  // Not `/\n+$/`: on model text with a long run of newlines before other text it takes seconds.
  return `${fence}${info}\n${trimTrailing(content, '\n')}\n${fence}`;
}

/**
 * Breaks @mentions in model-written text (a zero-width space after the @) so a review can never notify people: the
 * text is shaped by untrusted PR content.
 */
export function neutraliseMentions(text: string): string {
  return text.replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@\u200b');
}
