import type { CredentialProviderApi, ProviderInfo } from './credential-provider';
import { ProviderFailure } from './errors';

/** Time as the waits see it; tests pass a clock whose `sleep` only moves `now`. */
export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: WaitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Exponential backoff between status checks: 1 s, 2 s, 4 s, 8 s, then every 15 s. */
export interface Backoff {
  firstDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstDelayMs: 1_000, maxDelayMs: 15_000, factor: 2 };

/** What one wait needs: the provider API, the clock, and when to give up (epoch ms). */
export interface WaitDeps {
  providers: Pick<CredentialProviderApi, 'describe'>;
  clock: WaitClock;
  deadline: number;
  backoff?: Backoff;
}

type Check<T> = { done: true; value: T } | { done: false; status: string };

/**
 * Polls `check` with backoff until it is done or `deadline` passes; the last check runs at the deadline, so a
 * provider that turns READY in the final seconds still counts. `check` throws to stop early (a `*_FAILED` status).
 * @throws ProviderFailure from `timeout` with the last status seen
 */
async function poll<T>(
  check: () => Promise<Check<T>>,
  deps: WaitDeps,
  timeout: (lastStatus: string, waitedSeconds: number) => ProviderFailure,
): Promise<T> {
  const { clock, deadline } = deps;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const started = clock.now();
  let delay = backoff.firstDelayMs;
  for (;;) {
    const result = await check();
    if (result.done) return result.value;
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      throw timeout(result.status, Math.round((clock.now() - started) / 1000));
    }
    await clock.sleep(Math.min(delay, remaining));
    delay = Math.min(delay * backoff.factor, backoff.maxDelayMs);
  }
}

/**
 * Waits until the provider is READY after a create or update.
 * @param known attributes the create/update response already returned (a READY description may omit none, but an
 *   older API version may omit the callback URL)
 * @throws ProviderFailure with AgentCore's `failureReason` on CREATE_FAILED/UPDATE_FAILED, when the provider
 *   disappears or starts deleting, or when it is still not READY at the deadline
 */
export function waitUntilReady(name: string, known: ProviderInfo, deps: WaitDeps): Promise<ProviderInfo> {
  return poll<ProviderInfo>(
    async () => {
      const state = await deps.providers.describe(name);
      if (!state) {
        throw new ProviderFailure(
          `Credential provider "${name}" disappeared while AgentCore was setting it up; deploy again`,
        );
      }
      const status = state.status ?? 'READY';
      if (status === 'READY') {
        return {
          done: true,
          value: { arn: state.arn || known.arn, callbackUrl: state.callbackUrl || known.callbackUrl },
        };
      }
      if (status === 'CREATE_FAILED' || status === 'UPDATE_FAILED') {
        throw new ProviderFailure(
          `AgentCore reports credential provider "${name}" as ${status}: ${state.failureReason ?? 'no reason given'}`,
        );
      }
      if (status === 'DELETING' || status === 'DELETE_FAILED') {
        throw new ProviderFailure(
          `Credential provider "${name}" is ${status} (someone is deleting it); deploy again once it is gone`,
        );
      }
      return { done: false, status };
    },
    deps,
    (status, waited) =>
      new ProviderFailure(
        `Credential provider "${name}" was still ${status} after ${waited} s; check it with ` +
          `aws bedrock-agentcore-control get-oauth2-credential-provider --name ${name}, then deploy again`,
      ),
  );
}

/**
 * Waits until the provider is gone (GetOauth2CredentialProvider answers ResourceNotFoundException), so a deploy
 * right after a destroy does not find the old name still taken.
 * @throws ProviderFailure with AgentCore's `failureReason` on DELETE_FAILED, or when it is still there at the deadline
 */
export function waitUntilGone(name: string, deps: WaitDeps): Promise<void> {
  return poll<void>(
    async () => {
      const state = await deps.providers.describe(name);
      if (!state) return { done: true, value: undefined };
      const status = state.status ?? 'DELETING';
      if (status === 'DELETE_FAILED') {
        throw new ProviderFailure(
          `AgentCore could not delete credential provider "${name}" (DELETE_FAILED): ${state.failureReason ?? 'no reason given'}`,
        );
      }
      return { done: false, status };
    },
    deps,
    (status, waited) =>
      new ProviderFailure(
        `Credential provider "${name}" was still ${status} ${waited} s after it was deleted; check it with ` +
          `aws bedrock-agentcore-control get-oauth2-credential-provider --name ${name}, then retry`,
      ),
  );
}
