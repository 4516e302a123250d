import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { ModelPort } from '../agent/model';
import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import { type DiffLine, renderLines, type ShownLine } from './diff';
import type { Finding } from './findings';
import { completeJson } from './json';
import { clipToTokens } from './tokens';

/** Findings per self-check call: small enough for a cheap model to judge each one with its lines. */
export const SELF_CHECK_BATCH = 10;
/** Diff lines shown around a finding's anchor, each way. */
const CONTEXT_LINES = 6;
/** Per finding: the most (estimated) tokens of diff excerpt and of message shown. */
const EXCERPT_TOKENS = 600;
const MESSAGE_TOKENS = 300;

/** One verdict per finding, by the number it was shown with. Findings without a verdict are kept. */
export const selfCheckAnswerSchema = z.object({
  verdicts: z
    .array(
      z.object({
        id: z.coerce.number().int().positive('must be the number of a finding shown'),
        supported: z.boolean('must be true or false'),
      }),
    )
    .max(100, 'at most one verdict per finding'),
});

export interface SelfCheckInput<F extends Finding> {
  model: ModelPort;
  findings: F[];
  /** Per path, the diff lines the review showed the model (what a finding may rest on). */
  shown: Map<string, ShownLine[]>;
  /** `owner/repo#12`, for the prompt. */
  pr: string;
  maxTokens: number;
  signal?: AbortSignal;
  logger?: Pick<Logger, 'warn'>;
}

export interface SelfCheckResult<F extends Finding> {
  kept: F[];
  /** Findings the check found no support for in their diff lines: not posted, counted in the body. */
  dropped: F[];
  /** Batches whose check failed (model error, unusable answer): their findings were all kept. */
  failedBatches: number;
}

/**
 * The second pass (pr-agent's "self-reflection"): a cheaper model sees each finding next to the diff lines it points
 * at and says whether those lines support it; unsupported findings are dropped. One call per batch of
 * {@link SELF_CHECK_BATCH} findings. The check fails open: a batch whose call fails or whose answer stays invalid after
 * one repair keeps all its findings (logged and counted), since losing a real finding is worse than posting a weak one.
 * @throws only when `signal` is aborted (the review is out of time)
 */
export async function selfCheckFindings<F extends Finding>(
  input: SelfCheckInput<F>,
): Promise<SelfCheckResult<F>> {
  const result: SelfCheckResult<F> = { kept: [], dropped: [], failedBatches: 0 };
  const system = loadPrompt('review-self-check-system');
  for (let start = 0; start < input.findings.length; start += SELF_CHECK_BATCH) {
    const batch = input.findings.slice(start, start + SELF_CHECK_BATCH);
    let supported: Map<number, boolean>;
    try {
      const answer = await completeJson({
        model: input.model,
        system,
        prompt: loadPrompt('review-self-check', {
          pr: input.pr,
          count: batch.length,
          marker: randomBytes(6).toString('hex'),
          findings: batch
            .map((finding, index) => renderFinding(finding, index + 1, input.shown))
            .join('\n\n'),
        }),
        schema: selfCheckAnswerSchema,
        output: 'self_check',
        what: 'self-check verdicts JSON',
        maxTokens: input.maxTokens,
        signal: input.signal,
      });
      supported = new Map(answer.verdicts.map((verdict) => [verdict.id, verdict.supported]));
    } catch (error) {
      if (input.signal?.aborted) throw error;
      input.logger?.warn('self-check failed; its findings are kept', {
        findings: batch.length,
        error: (error as Error).name,
      });
      result.failedBatches += 1;
      result.kept.push(...batch);
      continue;
    }
    batch.forEach((finding, index) => {
      (supported.get(index + 1) === false ? result.dropped : result.kept).push(finding);
    });
  }
  return result;
}

/** One finding as the checker sees it: where, what, and the diff lines around it (or that there are none). */
export function renderFinding(finding: Finding, id: number, shown: Map<string, ShownLine[]>): string {
  const where = `${finding.path}:${finding.start_line !== undefined ? `${finding.start_line}-` : ''}${finding.line} (${finding.side})`;
  const excerpt = excerptFor(finding, shown.get(finding.path) ?? []);
  return loadPrompt('review-self-check-finding', {
    id,
    where,
    severity: finding.severity,
    message: clipToTokens(finding.message, MESSAGE_TOKENS),
    suggestion:
      finding.suggestion === undefined
        ? ''
        : `\nSuggested replacement:\n${clipToTokens(finding.suggestion, MESSAGE_TOKENS)}`,
    lines: excerpt === '' ? '(no diff lines at this location were shown to the reviewer)' : excerpt,
  }).trim();
}

/** The shown lines of the finding's side within a few lines of its range, rendered like the review's diff. */
function excerptFor(finding: Finding, lines: ShownLine[]): string {
  const from = (finding.start_line ?? finding.line) - CONTEXT_LINES;
  const to = finding.line + CONTEXT_LINES;
  const near: DiffLine[] = [];
  for (const { line } of lines) {
    const number = finding.side === 'LEFT' ? line.oldLine : line.newLine;
    // A deleted line has no new number (an added one no old number): keep it when its neighbours are in range.
    const other = finding.side === 'LEFT' ? line.newLine : line.oldLine;
    if (number !== null ? number >= from && number <= to : near.length > 0 && other !== null) near.push(line);
  }
  // Trim a trailing run of other-side lines picked up after the range ended.
  while (near.length > 0) {
    const last = near.at(-1) as DiffLine;
    if ((finding.side === 'LEFT' ? last.oldLine : last.newLine) !== null) break;
    near.pop();
  }
  return near.length === 0 ? '' : clipToTokens(renderLines(near), EXCERPT_TOKENS);
}
