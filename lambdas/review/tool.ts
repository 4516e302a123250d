import * as z from 'zod';
import { defineTool, type Tool, type ToolContext, type ToolOutput } from '../agent/tool';
import { loadPrompt } from '../prompts';
import { ReviewError } from './errors';
import { formatRef } from './plan';
import type { PullRequestRef, ReviewDeps } from './ports';
import { checkPullRequestRef, parsePullRequestRef } from './ref';
import { planReview } from './workflow';

/** The tool's input: a PR URL or "owner/repo#12", or the parts separately. */
export const planReviewInput = z
  .object({
    pull_request: z
      .string()
      .max(500)
      .optional()
      .describe('The pull request as a URL (https://github.com/owner/repo/pull/12) or "owner/repo#12".'),
    owner: z.string().max(39).optional().describe('Repository owner, when pull_request is not given.'),
    repo: z
      .string()
      .max(140)
      .optional()
      .describe('Repository name (or "owner/name"), when pull_request is not given.'),
    pull_number: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Pull request number, when pull_request is not given.'),
    all_files: z
      .boolean()
      .optional()
      .describe(
        'Review every changed file, beyond the configured path scope, for this review only. Set it only when the user asks for all files.',
      ),
    full_review: z
      .boolean()
      .optional()
      .describe(
        'Review the whole pull request again. Without it, a pull request you reviewed before is re-reviewed incrementally: only the commits since your last review ("review again", "review only new commits"). Set it only when the user asks for a full review.',
      ),
  })
  .refine(
    (input) =>
      input.pull_request !== undefined || (input.repo !== undefined && input.pull_number !== undefined),
    {
      message: 'give pull_request, or repo (with owner) and pull_number',
    },
  );

export type PlanReviewInput = z.infer<typeof planReviewInput>;

/**
 * Which pull request the input names.
 * @throws InvalidPullRequestRefError when it names none
 */
export function resolvePullRequest(input: PlanReviewInput): PullRequestRef {
  if (input.pull_request !== undefined) return parsePullRequestRef(input.pull_request);
  const [first = '', second] = (input.repo ?? '').split('/', 2);
  const owner = second === undefined ? (input.owner ?? '') : first;
  const repo = second ?? first;
  return checkPullRequestRef({ owner, repo, number: input.pull_number ?? 0 });
}

export interface PlanReviewToolDeps extends ReviewDeps {
  /**
   * Turns a GitHub failure (404, 403, ...) into a message for the model, or undefined to rethrow it. The GitHub
   * adapter knows its errors; the review code does not.
   */
  describeGitHubError?: (error: unknown) => string | undefined;
}

/**
 * The `plan_pr_review` tool, built once: `depsFor` gives each call its deps from the call's context (the GitHub port of
 * that turn's user). It plans, stores the plan as pending, emits the `plan` event and tells the model to wait for the
 * user's approve/cancel. ConsentRequiredError from the GitHub port propagates to the loop.
 */
export function createPlanReviewTool(depsFor: (context: ToolContext) => PlanReviewToolDeps): Tool {
  return defineTool({
    name: 'plan_pr_review',
    description:
      'Start a code review of a GitHub pull request: fetches it and proposes a review plan that the user must approve before anything is reviewed or posted. Use when the user asks to review a PR, or to review it again / review only its new commits (a PR reviewed before is re-reviewed from the last reviewed commit, and findings already posted are not repeated).',
    input: planReviewInput,
    readOnly: false,
    async run(input, context): Promise<ToolOutput> {
      const deps = depsFor(context);
      try {
        const ref = resolvePullRequest(input);
        const result = await planReview(deps, {
          userId: context.userId,
          sessionId: context.sessionId,
          ref,
          ...(input.all_files ? { pathPrefixes: [] } : {}),
          signal: context.signal,
          supersede: !(context.sessionUntrusted?.() ?? false),
          mode: input.full_review ? 'full' : 'auto',
        });
        if (result.outcome === 'no_changes') {
          return {
            ok: true,
            summary: result.message,
            content: { status: 'no_changes', message: result.message },
          };
        }
        if (result.outcome === 'nothing_to_review') {
          return {
            ok: true,
            // One line for people; the whole answer (what lies outside the scope, how to widen it) for the model.
            summary: result.message.split('\n', 1)[0] ?? result.message,
            content: { status: 'nothing_to_review', message: result.message },
          };
        }
        context.emit({ type: 'plan', plan_id: result.planId, plan: result.plan, markdown: result.markdown });
        const pr = formatRef(ref);
        return {
          ok: true,
          summary: `Review plan ${result.planId} for ${pr} is waiting for approval`,
          content: {
            status: 'awaiting_approval',
            plan_id: result.planId,
            pull_request: pr,
            files_to_review: result.filesToReview,
            files_skipped: result.skipped,
            range: result.range,
            note: loadPrompt('review-plan-tool-result', { plan_id: result.planId, pr }).trim(),
          },
        };
      } catch (error) {
        const message =
          error instanceof ReviewError ? error.message : (deps.describeGitHubError?.(error) ?? undefined);
        if (message === undefined) throw error;
        return { ok: false, summary: message, content: { error: message } };
      }
    },
  });
}
