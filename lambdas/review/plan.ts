import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { ModelPort } from '../agent/model';
import type { MetricsPort } from '../metrics/port';
import { loadPrompt } from '../prompts';
import { completeJson } from './json';
import type { PullRequestFile, PullRequestInfo, PullRequestRef } from './ports';
import { describeSkipped, type SkippedFile } from './scope';

const line = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** The review plan the model proposes and the user approves (the seed's PlanModel). */
export const planModelSchema = z.object({
  objective: line(500),
  steps: z.array(line(300)).min(1, 'needs at least one step').max(15, 'at most 15 steps'),
  risks: z.array(line(300)).max(10, 'at most 10 risks').default([]),
  estimated_time_minutes: z
    .number()
    .int('must be a whole number of minutes')
    .min(1, 'must be at least 1')
    .max(480, 'must be at most 480'),
});

export type PlanModel = z.infer<typeof planModelSchema>;

/** What the plan prompt shows the model about the PR. */
export interface PlanInput {
  ref: PullRequestRef;
  pr: PullRequestInfo;
  reviewable: PullRequestFile[];
  skipped: SkippedFile[];
  outOfScope: number;
  pathPrefixes: string[];
  listingTruncated: boolean;
}

/** The plan prompt lists at most this many files; the rest are counted. */
const MAX_LISTED_FILES = 150;
const MAX_BODY_CHARS = 2000;

/**
 * Asks the model for a PlanModel (no tools; constrained to the plan's JSON Schema where the model supports it; one
 * repair attempt on invalid JSON). The PR's title, body and file names
 * are untrusted and go inside delimiters with a random marker the PR author cannot predict.
 * @throws ModelOutputError after a failed repair; ModelError from the port
 */
export async function generatePlan(
  model: ModelPort,
  input: PlanInput,
  options: { maxTokens: number; signal?: AbortSignal; metrics?: Pick<MetricsPort, 'reviewJson'> },
): Promise<PlanModel> {
  return completeJson({
    model,
    system: loadPrompt('review-plan-system'),
    prompt: renderPlanPrompt(input),
    schema: planModelSchema,
    output: 'plan',
    what: 'review plan',
    maxTokens: options.maxTokens,
    signal: options.signal,
    metrics: options.metrics,
  });
}

/** The plan request's user message (exported for tests). */
export function renderPlanPrompt(input: PlanInput): string {
  const listed = input.reviewable.slice(0, MAX_LISTED_FILES).map((file) => `- ${fileLine(file)}`);
  if (input.reviewable.length > MAX_LISTED_FILES) {
    listed.push(`- ... and ${input.reviewable.length - MAX_LISTED_FILES} more files`);
  }
  const body = input.pr.body.trim();
  return loadPrompt('review-plan', {
    marker: randomBytes(6).toString('hex'),
    pr: formatRef(input.ref),
    title: oneLine(input.pr.title, 300),
    body:
      body.length > MAX_BODY_CHARS
        ? `${body.slice(0, MAX_BODY_CHARS)}\n[...cut]`
        : body || '(no description)',
    file_count: input.reviewable.length,
    files: listed.join('\n'),
    scope: describeScope(input),
  });
}

/** Renders the approved-or-not plan for the user from prompts/review-plan-markdown.md. */
export function renderPlanMarkdown(
  plan: PlanModel,
  context: { ref: PullRequestRef; title: string; scope: string; range?: string },
): string {
  return loadPrompt('review-plan-markdown', {
    pr: formatRef(context.ref),
    title: oneLine(context.title, 200),
    scope: context.scope,
    // What a re-review covers (incremental.ts describeRange): only the commits since the last review, or all.
    range: context.range === undefined ? '' : `**Range:** ${context.range}\n`,
    objective: oneLine(plan.objective, 500),
    steps: plan.steps.map((step, index) => `${index + 1}. ${oneLine(step, 300)}`).join('\n'),
    risks: plan.risks.length > 0 ? plan.risks.map((risk) => `- ${oneLine(risk, 300)}`).join('\n') : 'None',
    minutes: plan.estimated_time_minutes,
  });
}

/** One line on what will be reviewed and what will not, e.g. "12 files in agent-tasks/; skipped: 2 lock files". */
export function describeScope(input: Omit<PlanInput, 'ref' | 'pr'>): string {
  const where = input.pathPrefixes.length > 0 ? ` under ${input.pathPrefixes.join(', ')}` : '';
  const parts = [`${plural(input.reviewable.length, 'file')} to review${where}`];
  if (input.skipped.length > 0) parts.push(`skipped ${describeSkipped(input.skipped)}`);
  if (input.outOfScope > 0) parts.push(`${plural(input.outOfScope, 'file')} outside the review scope`);
  if (input.listingTruncated) parts.push('GitHub listed only part of the files');
  return parts.join('; ');
}

/** Files named in the "nothing to review" answer; the rest are counted. */
const MAX_LISTED_OUTSIDE = 20;

/**
 * The answer when no file is left to review: never an empty review. It says why, lists the files outside the path
 * scope and, when there are some, how to widen the scope for this review only (prompts/review-nothing-in-scope.md).
 */
export function describeNothingToReview(ref: PullRequestRef, scope: string, outOfScope: string[]): string {
  const pr = formatRef(ref);
  if (outOfScope.length === 0) return `Nothing to review in ${pr}: ${scope}.`;
  const listed = outOfScope.slice(0, MAX_LISTED_OUTSIDE).map((path) => `- ${oneLine(path, 300)}`);
  if (outOfScope.length > MAX_LISTED_OUTSIDE) {
    listed.push(`- … and ${outOfScope.length - MAX_LISTED_OUTSIDE} more`);
  }
  return loadPrompt('review-nothing-in-scope', { pr, scope, files: listed.join('\n') }).trim();
}

/** `owner/repo#12`. */
export function formatRef(ref: PullRequestRef): string {
  return `${ref.owner}/${ref.repo}#${ref.number}`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function fileLine(file: PullRequestFile): string {
  const renamed = file.previousFilename ? ` (from ${file.previousFilename})` : '';
  return `${file.filename}${renamed} [${file.status}, +${file.additions} -${file.deletions}]`;
}

/** Collapses whitespace (untrusted text must not break the surrounding Markdown) and caps the length. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
