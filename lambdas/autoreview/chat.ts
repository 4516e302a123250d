import * as z from 'zod';
import type { Emit } from '../agent/events';
import { ConsentRequiredError, defineTool, type Tool } from '../agent/tool';
import { isGitHubRequestError } from '../github/errors';
import { describeGitHubError } from '../github/format';
import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import type { HoldWrite } from '../writes/gate';
import { ActionError } from '../writes/ports';
import { type AutoReviewCommand, formatRepo, parseAutoReviewCommand, type RepoName } from './command-parse';
import type { Subscription, SubscriptionStore } from './ports';
import { type SubscriptionDeps, subscribeRepo, unsubscribeRepo } from './subscribe';
import { normalizeRepo } from './subscriptions';

/** The tools that run an approved subscribe / stop. They are never offered to the model: only an approval runs them. */
export const SUBSCRIBE_TOOL = 'auto_review_subscribe';
export const UNSUBSCRIBE_TOOL = 'auto_review_unsubscribe';

/** Who asks, in which conversation, and where the reply goes. */
export interface AutoReviewScope {
  userId: string;
  sessionId: string;
  emit: Emit;
}

/** Auto-review in this deployment: configured, or off with the settings that are missing. */
export type AutoReviewSetup =
  | {
      enabled: true;
      store: SubscriptionStore;
      webhookUrl: string;
      webhookSecret: () => Promise<string>;
    }
  | { enabled: false; missing: string[] };

export interface AutoReviewChatDeps {
  setup: AutoReviewSetup;
  /** Stores a write for the user's approval (the same gate as every other withheld GitHub write). */
  hold: HoldWrite;
  /** The approving user's GitHub side of a subscription (their token, this turn). */
  githubFor(scope: AutoReviewScope): Pick<SubscriptionDeps, 'hooks' | 'requestHookScope'>;
  now: () => Date;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const say = (scope: AutoReviewScope, text: string): string => {
  scope.emit({ type: 'token', content: text });
  return text;
};
const yesNo = (value: boolean) => (value ? 'yes' : 'no');

/**
 * Runs an auto-review chat command in the stream. "auto-review" and "stop auto-review" change nothing on GitHub
 * here: after a first look at the subscriptions (so a repository held by someone else is refused at once, without
 * naming them) they store a withheld write, stream `write_pending`, and run only when the user approves that `w_…`
 * id. "list auto-reviews" is a read and answers at once.
 * @returns the reply, already streamed as `token` events, for the conversation history
 * @throws ActionError (`storage_error`) when the subscriptions cannot be read or the write cannot be held
 */
export async function runAutoReviewCommand(
  deps: AutoReviewChatDeps,
  scope: AutoReviewScope,
  command: AutoReviewCommand,
): Promise<string> {
  if (command.type === 'usage')
    return say(scope, loadPrompt('auto-review-usage', { problem: command.problem }).trim());
  const { setup } = deps;
  if (!setup.enabled) {
    return say(scope, loadPrompt('auto-review-not-configured', { missing: setup.missing.join(', ') }).trim());
  }
  try {
    if (command.type === 'list') return say(scope, renderList(await setup.store.listForUser(scope.userId)));
    const repo = formatRepo(command.ref);
    const existing = await setup.store.listForRepo(normalizeRepo(repo));
    const mine = existing.find((subscription) => subscription.userId === scope.userId);
    if (command.type === 'subscribe') {
      if (mine) return say(scope, loadPrompt('auto-review-already', { repo }).trim());
      const shared = command.options.shared;
      if (existing.some((other) => !(other.options.shared && shared))) {
        return say(scope, loadPrompt('auto-review-held', { repo }).trim());
      }
      return holdWrite(deps, scope, {
        toolName: SUBSCRIBE_TOOL,
        toolInput: { repo, drafts: command.options.drafts, shared },
        // The summary stays within the gate's 200 characters for usual names; the options follow in the reply.
        summary: loadPrompt('auto-review-write-subscribe', { repo, webhook_url: setup.webhookUrl }).trim(),
        details: loadPrompt('auto-review-approve-options', {
          drafts: yesNo(command.options.drafts),
          shared: yesNo(shared),
        }).trim(),
      });
    }
    if (!mine) return say(scope, loadPrompt('auto-review-not-subscribed', { repo }).trim());
    const hookShared = existing.some(
      (other) => other.userId !== scope.userId && other.hookId === mine.hookId,
    );
    return holdWrite(deps, scope, {
      toolName: UNSUBSCRIBE_TOOL,
      toolInput: { repo },
      summary: loadPrompt(
        hookShared ? 'auto-review-write-unsubscribe-shared' : 'auto-review-write-unsubscribe',
        {
          repo,
          hook_id: mine.hookId,
        },
      ).trim(),
    });
  } catch (error) {
    if (error instanceof ActionError) throw error;
    deps.logger?.error('An auto-review command failed', { command: command.type, error: describe(error) });
    throw new ActionError('storage_error', loadPrompt('auto-review-storage-failed').trim());
  }
}

async function holdWrite(
  deps: AutoReviewChatDeps,
  scope: AutoReviewScope,
  write: { toolName: string; toolInput: Record<string, unknown>; summary: string; details?: string },
): Promise<string> {
  const { details = '', ...held } = write;
  const ticket = await deps.hold({ userId: scope.userId, sessionId: scope.sessionId, ...held });
  scope.emit({
    type: 'write_pending',
    action_id: ticket.actionId,
    tool_name: write.toolName,
    tool_input: write.toolInput,
    summary: ticket.summary,
    expires_at: ticket.expiresAt,
  });
  return say(
    scope,
    loadPrompt('auto-review-approve', {
      action_id: ticket.actionId,
      summary: ticket.summary,
      details: details && ` ${details}`,
    }).trim(),
  );
}

/** The user's subscriptions with their state and last result, or how to make one. */
export function renderList(subscriptions: Subscription[]): string {
  if (subscriptions.length === 0) return loadPrompt('auto-review-list-empty').trim();
  const items = subscriptions.map((subscription) =>
    loadPrompt('auto-review-list-item', {
      repo: subscription.repo,
      drafts: yesNo(subscription.options.drafts),
      shared: yesNo(subscription.options.shared),
      status:
        subscription.status === 'active'
          ? 'active'
          : loadPrompt('auto-review-list-broken', { reason: subscription.brokenReason ?? 'unknown' }).trim(),
      last: lastResult(subscription),
    }).trim(),
  );
  return loadPrompt('auto-review-list', { items: items.join('\n') }).trim();
}

function lastResult(subscription: Subscription): string {
  const result = subscription.lastResult;
  if (!result) return loadPrompt('auto-review-list-no-result').trim();
  return loadPrompt('auto-review-list-result', {
    outcome: result.outcome,
    pull: result.pullNumber,
    at: result.at,
    // Optional parts keep their own separators, so a result without them reads cleanly.
    link: result.reviewUrl ? ` ${result.reviewUrl}` : '',
    detail: result.detail ? ` (${result.detail})` : '',
  }).trim();
}

const repoInput = z
  .string()
  .max(140)
  .refine((value) => parseRepo(value) !== undefined, 'repo must be "owner/name"');

const subscribeInput = z.object({ repo: repoInput, drafts: z.boolean(), shared: z.boolean() });
const unsubscribeInput = z.object({ repo: repoInput });

/**
 * The tools an approval of a held subscribe or stop runs (through `runWriteCommand`, so exactly once, with the stored
 * arguments). Not in the model's tool list: nothing the model says can subscribe a repository.
 */
export function createApprovalTools(deps: AutoReviewChatDeps, scope: AutoReviewScope): Tool[] {
  const subscriptionDeps = (): SubscriptionDeps | undefined => {
    const { setup } = deps;
    if (!setup.enabled) return undefined;
    return {
      store: setup.store,
      webhookUrl: setup.webhookUrl,
      webhookSecret: setup.webhookSecret,
      ...deps.githubFor(scope),
      now: deps.now,
      logger: deps.logger,
    };
  };
  const notConfigured = () => {
    const missing = deps.setup.enabled ? [] : deps.setup.missing;
    return {
      ok: false,
      summary: loadPrompt('auto-review-not-configured', { missing: missing.join(', ') }).trim(),
      content: null,
    };
  };
  return [
    defineTool({
      name: SUBSCRIBE_TOOL,
      description: 'Runs an approved "auto-review owner/name" (never offered to the model).',
      input: subscribeInput,
      readOnly: false,
      externalWrite: true,
      async run(input, context) {
        const ready = subscriptionDeps();
        const ref = parseRepo(input.repo);
        if (!ready || !ref) return notConfigured();
        return attempt(deps, `subscribe ${input.repo}`, () =>
          subscribeRepo(ready, {
            userId: context.userId,
            ref,
            options: { drafts: input.drafts, shared: input.shared },
          }),
        );
      },
    }),
    defineTool({
      name: UNSUBSCRIBE_TOOL,
      description: 'Runs an approved "stop auto-review owner/name" (never offered to the model).',
      input: unsubscribeInput,
      readOnly: false,
      externalWrite: true,
      async run(input, context) {
        const ready = subscriptionDeps();
        const ref = parseRepo(input.repo);
        if (!ready || !ref) return notConfigured();
        return attempt(deps, `stop auto-review of ${input.repo}`, () =>
          unsubscribeRepo(ready, { userId: context.userId, ref }),
        );
      },
    }),
  ];
}

/** Runs a subscription change; credential and GitHub failures become a clear failed outcome, consents propagate. */
async function attempt(
  deps: AutoReviewChatDeps,
  action: string,
  run: () => Promise<{ ok: boolean; summary: string }>,
): Promise<{ ok: boolean; summary: string; content: null }> {
  try {
    return { ...(await run()), content: null };
  } catch (error) {
    if (error instanceof ConsentRequiredError) throw error;
    if (error instanceof Error && (error.name === 'GitHubAuthError' || error.name === 'IdentityError')) {
      return { ok: false, summary: error.message, content: null };
    }
    if (isGitHubRequestError(error))
      return { ok: false, summary: describeGitHubError(error, { action }), content: null };
    deps.logger?.error('An auto-review change failed', { action, error: describe(error) });
    return { ok: false, summary: loadPrompt('auto-review-failed').trim(), content: null };
  }
}

function parseRepo(value: string): RepoName | undefined {
  const command = parseAutoReviewCommand(`stop auto-review ${value}`);
  return command?.type === 'unsubscribe' ? command.ref : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
