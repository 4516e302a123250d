import type { Emit } from '../agent/events';
import type { PlanCommand } from '../agent/turn';
import { loadPrompt } from '../prompts';
import { credentialProblem, ReviewError } from './errors';
import { leaseLapsed } from './lease';
import { formatRef } from './plan';
import type { ReviewDeps, StoredPlan } from './ports';
import { approvePlan, cancelPlan, findPendingPlans } from './workflow';

const PLAN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Reads a chat message as a plan command: "approve", "cancel", "approve p_abc123", "cancel plan p_abc123" (any case,
 * any whitespace around and between the words, an optional final "." or "!"). Anything else is an ordinary message for
 * the model.
 */
export function parsePlanCommand(message: string): PlanCommand | undefined {
  // Trim and split rather than one regex: adjacent optional `\s*`/`\s+` backtrack quadratically on every message
  // ("approve" + 32,000 spaces + "#" took seconds). `trim` and `\s` cover the same whitespace.
  let text = message.trim();
  if (text.endsWith('.') || text.endsWith('!')) text = text.slice(0, -1).trimEnd();
  // At most four pieces: the fourth alone says it is too long, and no more of the message is split.
  const words = text.split(/\s+/, 4);
  const verb = words[0]?.toLowerCase();
  if (verb !== 'approve' && verb !== 'cancel') return undefined;
  const type = verb;
  if (words.length === 1) return { type };
  const planId = words.length === 2 ? words[1] : words[1]?.toLowerCase() === 'plan' ? words[2] : undefined;
  if (words.length > 3 || planId === undefined || !PLAN_ID.test(planId)) return undefined;
  return { type, planId };
}

export interface PlanCommandInput {
  userId: string;
  sessionId: string;
  command: PlanCommand;
  emit: Emit;
  /** Aborted when the invocation is about to run out of time: the review then fails cleanly before posting. */
  signal?: AbortSignal;
}

/**
 * Runs an approve or cancel in the request's stream. Without a plan id it applies to the session's only pending plan,
 * or when none is pending to its only stuck one (see findCommandPlans; none or several → a short answer saying so,
 * nothing changes). Refusals (not found, expired, wrong state) become
 * an `error` event with the plan's own message and change nothing; so does a credentials failure (IdentityError,
 * GitHubAuthError) before the review starts, as a `review_failed` event with its message.
 * @returns the assistant's reply, already streamed as `token` events, for the conversation history
 * @throws ConsentRequiredError when GitHub needs consent before the review can start (the plan stays pending)
 */
export async function runPlanCommand(deps: ReviewDeps, input: PlanCommandInput): Promise<string> {
  const { userId, sessionId, command, emit } = input;
  const say = (text: string) => {
    emit({ type: 'token', content: text });
    return text;
  };

  let planId = command.planId;
  if (planId === undefined) {
    const pending = await findCommandPlans(deps, { userId, sessionId });
    if (pending.length === 0) {
      return say(loadPrompt('review-command-none-pending', { hours: deps.settings.planTtlHours }).trim());
    }
    if (pending.length > 1) {
      const plans = pending
        .map((plan) => `- ${plan.planId}: ${formatRef(plan.ref)} ${plan.title}`)
        .join('\n');
      return say(
        loadPrompt('review-command-which', {
          action: command.type,
          example: pending[0]?.planId ?? '',
          plans,
        }).trim(),
      );
    }
    planId = pending[0]?.planId ?? '';
  }

  try {
    const stored = await deps.plans.get(userId, planId);
    // A plan id from another conversation is treated as unknown here: actions stay within their session.
    if (stored.sessionId !== sessionId) throw new ReviewErrorNotInSession(planId);
    if (command.type === 'cancel') {
      const cancelled = await cancelPlan(deps, { userId, planId, emit });
      return say(
        loadPrompt('review-command-cancelled', { plan_id: planId, pr: formatRef(cancelled.ref) }).trim(),
      );
    }
    const approvedAt = deps.now().getTime();
    const result = await approvePlan(deps, { userId, planId, emit, signal: input.signal });
    if (result.outcome === 'already_posted') {
      return say(
        loadPrompt('review-command-already-posted', {
          pr: formatRef(stored.ref),
          plan_id: planId,
          url: result.reviewUrl,
        }).trim(),
      );
    }
    if (result.outcome === 'completed') {
      // Reported here, where the review's figures are known; the turn meter counts the other review events.
      deps.metrics?.review('posted', {
        filesReviewed: result.reviewedFiles,
        filesSkipped: result.skippedFiles,
        inlineAccepted: result.inlineComments,
        inlineMoved: result.findings - result.inlineComments,
        durationMs: deps.now().getTime() - approvedAt,
      });
      return say(
        loadPrompt('review-command-completed', {
          pr: formatRef(stored.ref),
          url: result.reviewUrl,
          inline: result.inlineComments,
          reviewed: result.reviewedFiles,
          skipped: result.skippedFiles,
        }).trim(),
      );
    }
    // approvePlan has already streamed the failure as status + error events.
    return loadPrompt('review-command-stopped', {
      reason: result.outcome === 'stale' ? result.message : result.reason,
    }).trim();
  } catch (error) {
    if (error instanceof ReviewError) {
      emit({ type: 'error', code: error.code, message: error.message });
      return error.message;
    }
    // Only the PR read before the claim lets a credentials failure out of approvePlan: the plan is still pending.
    const credentials = credentialProblem(error);
    if (credentials === undefined) throw error;
    const message = `The review did not start (plan ${planId} is still pending; approve it again once this is fixed): ${credentials}`;
    emit({ type: 'error', code: 'review_failed', message });
    return message;
  }
}

/**
 * The plans a plain "approve"/"cancel" may mean: the pending ones; when there are none, the stuck ones (approved or
 * executing, lease lapsed), which either command now applies to; and when there are none of those either, a running
 * one, so the answer says it is running and when it may be restarted rather than that nothing is waiting.
 */
async function findCommandPlans(
  deps: ReviewDeps,
  input: { userId: string; sessionId: string },
): Promise<StoredPlan[]> {
  const pending = await findPendingPlans(deps, input);
  if (pending.length > 0) return pending;
  const running = await deps.plans.listRunning(input.userId, input.sessionId);
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const stuck = running.filter((plan) => leaseLapsed(plan, nowSeconds));
  return stuck.length > 0 ? stuck : running.slice(0, 1);
}

/** The plan exists but belongs to another of the user's sessions. */
class ReviewErrorNotInSession extends ReviewError {
  constructor(planId: string) {
    super('plan_not_found', `There is no review plan ${planId} in this conversation.`);
    this.name = 'PlanNotInSessionError';
  }
}
