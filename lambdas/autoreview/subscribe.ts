import type { ConsentRequiredError } from '../agent/tool';
import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import { formatRepo, type RepoName } from './command-parse';
import { MissingScopeError, type RepoHooksPort } from './github-hooks';
import type { Subscription, SubscriptionOptions, SubscriptionStore } from './ports';
import { normalizeRepo } from './subscriptions';

/** The OAuth scope asked for when the user's token cannot manage webhooks (create, and delete on stop). */
export const HOOK_SCOPE = 'admin:repo_hook';
/** Scopes that let a token both create and delete repository webhooks (`write:repo_hook` cannot delete). */
const HOOK_ADMIN_SCOPES = [HOOK_SCOPE, 'repo'];
/** The only events a subscription's webhook sends. */
export const HOOK_EVENTS = ['pull_request'];

/** What subscribing and unsubscribing need; the GitHub port acts with the approving user's own token. */
export interface SubscriptionDeps {
  store: SubscriptionStore;
  hooks: RepoHooksPort;
  /** Where GitHub sends deliveries (the stack's `WebhookUrl`). */
  webhookUrl: string;
  /** The stack's webhook secret: it goes into the hook's config and nowhere else. */
  webhookSecret: () => Promise<string>;
  /**
   * Starts a consent that adds {@link HOOK_SCOPE}: the error to throw (the turn streams its link), or undefined when
   * this server's GitHub sign-in cannot ask for more scopes (a static token, the device flow).
   */
  requestHookScope: () => Promise<ConsentRequiredError | undefined>;
  now: () => Date;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** What running an approved subscribe or stop did: `summary` is one line for people (the approval's outcome). */
export interface SubscriptionOutcome {
  ok: boolean;
  summary: string;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');
const say = (name: string, vars: Record<string, string | number>) => loadPrompt(name, vars).trim();

/**
 * Subscribes the user to auto-review of a repository, all or nothing. Checked first, before anything is written: the
 * user's own existing subscription, another user's (exclusive unless both chose `shared`; never named), that GitHub
 * shows the repository, that the user administers it and that their token may manage webhooks (else a consent for
 * {@link HOOK_SCOPE}). Then the webhook is created (or, for a shared repository, the one its other subscribers use is
 * reused) and the subscription stored; if storing fails or loses a race, a hook created here is deleted again.
 * @throws ConsentRequiredError when the user must consent (first, or to a wider scope); nothing was written
 */
export async function subscribeRepo(
  deps: SubscriptionDeps,
  input: { userId: string; ref: RepoName; options: SubscriptionOptions },
): Promise<SubscriptionOutcome> {
  const { userId, ref, options } = input;
  const repo = formatRepo(ref);
  const key = normalizeRepo(repo);
  const refusal = (name: string, vars: Record<string, string | number> = {}): SubscriptionOutcome => ({
    ok: false,
    summary: say(name, { repo, ...vars }),
  });

  const existing = await deps.store.listForRepo(key);
  if (existing.some((subscription) => subscription.userId === userId)) return refusal('auto-review-already');
  const others = existing.filter((subscription) => subscription.userId !== userId);
  if (others.some((other) => !(other.options.shared && options.shared))) return refusal('auto-review-held');

  const access = await deps.hooks.repoAccess(ref);
  if (access.kind === 'not_found') return refusal('auto-review-not-found');
  if (access.scopes !== undefined && !access.scopes.some((scope) => HOOK_ADMIN_SCOPES.includes(scope))) {
    return askForHookScope(deps, repo, access.scopes);
  }
  if (!access.admin) return refusal('auto-review-not-admin');

  let hookId: number | undefined;
  let created = false;
  try {
    hookId = await sharedHook(deps, ref, others);
    if (hookId === undefined) {
      const answer = await deps.hooks.createHook(ref, {
        url: deps.webhookUrl,
        secret: await deps.webhookSecret(),
        events: HOOK_EVENTS,
      });
      if (answer.kind === 'exists') return refusal('auto-review-hook-orphan');
      hookId = answer.id;
      created = true;
    }
  } catch (error) {
    if (error instanceof MissingScopeError) return askForHookScope(deps, repo, error.granted);
    throw error;
  }

  const subscription: Subscription = {
    repo: key,
    userId,
    hookId,
    options,
    status: 'active',
    createdAt: deps.now().toISOString(),
  };
  let outcome: Awaited<ReturnType<SubscriptionStore['add']>>;
  try {
    outcome = await deps.store.add(subscription);
  } catch (error) {
    deps.logger?.error('Storing the subscription failed', { repo: key, hookId, error: describe(error) });
    return created ? rollBack(deps, ref, hookId) : refusal('auto-review-not-saved');
  }
  if (outcome.kind !== 'created') {
    // Lost a race since the first look: undo our hook, keep theirs.
    if (created) await rollBack(deps, ref, hookId);
    return refusal(outcome.kind === 'exists' ? 'auto-review-already' : 'auto-review-held');
  }
  deps.logger?.info('Auto-review subscribed', { repo: key, hookId, reusedHook: !created });
  return {
    ok: true,
    summary: say(created ? 'auto-review-subscribed' : 'auto-review-subscribed-shared', {
      repo,
      hook_id: hookId,
      drafts: yesNo(options.drafts),
      shared: yesNo(options.shared),
    }),
  };
}

/**
 * Stops the user's own auto-review of a repository: deletes the webhook (already gone is fine; kept while other shared
 * subscribers use it) and then removes the subscription. Another user's subscription is never touched or revealed.
 * @throws ConsentRequiredError when the user must consent (first, or to a wider scope); nothing was changed
 */
export async function unsubscribeRepo(
  deps: SubscriptionDeps,
  input: { userId: string; ref: RepoName },
): Promise<SubscriptionOutcome> {
  const { userId, ref } = input;
  const repo = formatRepo(ref);
  const key = normalizeRepo(repo);
  const subscriptions = await deps.store.listForRepo(key);
  const mine = subscriptions.find((subscription) => subscription.userId === userId);
  if (!mine) return { ok: false, summary: say('auto-review-not-subscribed', { repo }) };
  const vars = { repo, hook_id: mine.hookId };
  const hookShared = subscriptions.some((other) => other.userId !== userId && other.hookId === mine.hookId);

  let note = 'auto-review-stopped-shared';
  if (!hookShared) {
    const access = await deps.hooks.repoAccess(ref);
    if (access.kind === 'ok' && access.scopes !== undefined) {
      if (!access.scopes.some((scope) => HOOK_ADMIN_SCOPES.includes(scope))) {
        return askForHookScope(deps, repo, access.scopes);
      }
    }
    if (access.kind === 'not_found' || !access.admin) {
      // The hook cannot be deleted by this user any more; the subscription still goes (deliveries are then ignored).
      note = 'auto-review-stopped-hook-left';
    } else {
      try {
        note =
          (await deps.hooks.deleteHook(ref, mine.hookId)) === 'deleted'
            ? 'auto-review-stopped'
            : 'auto-review-stopped-hook-gone';
      } catch (error) {
        if (error instanceof MissingScopeError) return askForHookScope(deps, repo, error.granted);
        throw error;
      }
    }
  }
  await deps.store.remove(userId, key);
  deps.logger?.info('Auto-review stopped', { repo: key, hookId: mine.hookId, outcome: note });
  return { ok: true, summary: say(note, vars) };
}

/** For a shared repository: the hook its other subscribers use, when it still exists and points here. */
async function sharedHook(
  deps: SubscriptionDeps,
  ref: RepoName,
  others: Subscription[],
): Promise<number | undefined> {
  for (const hookId of new Set(others.map((other) => other.hookId))) {
    const hook = await deps.hooks.getHook(ref, hookId);
    if (hook?.url === deps.webhookUrl) return hookId;
  }
  return undefined;
}

/** Deletes a hook this run created, after the subscription could not be stored. */
async function rollBack(deps: SubscriptionDeps, ref: RepoName, hookId: number): Promise<SubscriptionOutcome> {
  const repo = formatRepo(ref);
  try {
    await deps.hooks.deleteHook(ref, hookId);
    return { ok: false, summary: say('auto-review-rolled-back', { repo, hook_id: hookId }) };
  } catch (error) {
    deps.logger?.error('Deleting the new webhook again failed', { repo, hookId, error: describe(error) });
    return { ok: false, summary: say('auto-review-rollback-failed', { repo, hook_id: hookId }) };
  }
}

/** The token lacks the webhook scope: a consent for it, or (when this sign-in cannot widen it) a clear refusal. */
async function askForHookScope(
  deps: SubscriptionDeps,
  repo: string,
  granted: string[],
): Promise<SubscriptionOutcome> {
  const consent = await deps.requestHookScope();
  if (consent) throw consent;
  return {
    ok: false,
    summary: say('auto-review-scope-unavailable', {
      repo,
      scope: HOOK_SCOPE,
      granted: granted.length > 0 ? granted.join(', ') : 'none',
    }),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
