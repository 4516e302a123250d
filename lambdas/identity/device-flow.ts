import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { Logger } from '../log';
import { trimTrailing } from '../text';
import { IdentityError } from './errors';
import { ConsentForbiddenError, type GitHubTokenPort, type TokenRequest, type TokenResult } from './port';

/** What the device-flow port needs; every effect is injectable so tests run in milliseconds. */
export interface DeviceFlowTokenPortOptions {
  /** The GitHub OAuth App's client id (GITHUB_OAUTH_CLIENT_ID); device flow must be enabled on the app. */
  clientId: string;
  /** Scopes to ask for (OAUTH_SCOPES). */
  scopes: string[];
  /** Where GitHub's OAuth endpoints live: `https://github.com`, a GitHub Enterprise Server, or the stand-in. */
  oauthBase?: string;
  fetch?: typeof fetch;
  /** Waits between polls; resolves early (or rejects) when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Milliseconds since the epoch, for the device code's expiry. */
  now?: () => number;
  /** Opaque ids for `sessionUri` and `state`. */
  randomId?: () => string;
  /** Logs ids and outcomes only, never a token or a device code. */
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
}

/** The device-flow port, plus `close()` to stop background polling when the process shuts down. */
export interface DeviceFlowTokenPort extends GitHubTokenPort {
  /** Stops every background poll; pending consents are forgotten. */
  close(): void;
  /** Resolves when the background poll for `userId` has ended (success or failure); for tests and scripts. */
  settled(userId: string): Promise<void>;
}

const deviceCodeSchema = z.object({
  device_code: z.string().min(1),
  user_code: z.string().min(1),
  verification_uri: z.string().min(1),
  expires_in: z.number().positive(),
  interval: z.number().nonnegative().default(5),
});

const tokenAnswerSchema = z.union([
  z.object({ access_token: z.string().min(1) }),
  z.object({ error: z.string(), error_description: z.string().optional(), interval: z.number().optional() }),
]);

/** GitHub asks for 5 s more between polls each time it says `slow_down`. */
const SLOW_DOWN_EXTRA_MS = 5_000;
/** Network errors in a row before we give up on a device code. */
const MAX_TRANSPORT_FAILURES = 3;

interface Flow {
  userId: string;
  sessionUri: string;
  state: string;
  userCode: string;
  verificationUri: string;
  status: 'pending' | 'succeeded' | 'failed';
  error?: IdentityError;
  done: Promise<void>;
}

/**
 * The GitHub token port for local runs without AWS (`IDENTITY_PROVIDER=device`): GitHub's OAuth device flow.
 *
 * Non-blocking like AgentCore: the first `getToken` for a user asks GitHub for a device code and answers
 * `{kind: 'consent', authorizationUrl: verification_uri, userCode, sessionUri, state}` at once, while polling
 * continues in the background at GitHub's interval (`slow_down` adds 5 s; `expired_token` and `access_denied` end
 * it). Later calls return the same consent while the user has not confirmed, then the token once polling succeeded.
 * A failed flow is reported once by the next `getToken` (an {@link IdentityError}); the call after that starts over.
 * Tokens live in this process's memory only, keyed by user.
 */
export function createDeviceFlowTokenPort(options: DeviceFlowTokenPortOptions): DeviceFlowTokenPort {
  const oauthBase = trimTrailing(options.oauthBase ?? 'https://github.com', '/');
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const randomId = options.randomId ?? (() => randomBytes(24).toString('base64url'));
  const { clientId, scopes, logger } = options;

  const tokens = new Map<string, string>();
  const flows = new Map<string, Flow>();
  const starting = new Map<string, Promise<Flow>>();
  const sessions = new Map<string, Flow>();
  const stop = new AbortController();

  const post = async (path: string, form: Record<string, string>): Promise<unknown> => {
    const response = await doFetch(`${oauthBase}${path}`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal: stop.signal,
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new IdentityError(
        'unexpected_response',
        `GitHub answered ${path} with HTTP ${response.status} and no JSON; check the OAuth base URL ${oauthBase}`,
      );
    }
    // GitHub reports device-flow errors as JSON `error` fields, often with HTTP 200: let the caller read them.
    if (!response.ok && !(typeof body === 'object' && body !== null && 'error' in body)) {
      throw new IdentityError('unexpected_response', `GitHub answered ${path} with HTTP ${response.status}`);
    }
    return body;
  };

  const consentOf = (flow: Flow): TokenResult => ({
    kind: 'consent',
    authorizationUrl: flow.verificationUri,
    sessionUri: flow.sessionUri,
    state: flow.state,
    userCode: flow.userCode,
  });

  const start = async (userId: string): Promise<Flow> => {
    const raw = await post('/login/device/code', { client_id: clientId, scope: scopes.join(' ') });
    const parsed = deviceCodeSchema.safeParse(raw);
    if (!parsed.success) {
      const error = errorField(raw);
      throw new IdentityError(
        'unexpected_response',
        error === 'device_flow_disabled'
          ? 'GitHub device flow is disabled for this OAuth App: enable it in the app settings'
          : error === 'incorrect_client_credentials'
            ? 'GitHub does not know this OAuth App: check GITHUB_OAUTH_CLIENT_ID'
            : `GitHub did not return a device code${error ? ` (${error})` : ''}`,
      );
    }
    const code = parsed.data;
    const flow: Flow = {
      userId,
      sessionUri: `device:${randomId()}`,
      state: randomId(),
      userCode: code.user_code,
      verificationUri: code.verification_uri,
      status: 'pending',
      done: Promise.resolve(),
    };
    flow.done = poll(flow, code.device_code, code.interval * 1000, now() + code.expires_in * 1000);
    flows.set(userId, flow);
    sessions.set(flow.sessionUri, flow);
    logger?.info('GitHub device flow started', { userId, sessionUri: flow.sessionUri });
    return flow;
  };

  const fail = (flow: Flow, error: IdentityError): void => {
    flow.status = 'failed';
    flow.error = error;
    logger?.warn('GitHub device flow ended without a token', { userId: flow.userId, code: error.code });
  };

  const poll = async (flow: Flow, deviceCode: string, firstIntervalMs: number, expiresAt: number) => {
    let intervalMs = firstIntervalMs;
    let transportFailures = 0;
    while (!stop.signal.aborted) {
      try {
        await sleep(intervalMs, stop.signal);
      } catch {
        return;
      }
      if (stop.signal.aborted) return;
      if (now() >= expiresAt) {
        return fail(flow, expired());
      }
      let answer: z.infer<typeof tokenAnswerSchema>;
      try {
        const raw = await post('/login/oauth/access_token', {
          client_id: clientId,
          device_code: deviceCode,
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        });
        const parsed = tokenAnswerSchema.safeParse(raw);
        if (!parsed.success)
          return fail(flow, new IdentityError('unexpected_response', 'GitHub sent no token'));
        answer = parsed.data;
        transportFailures = 0;
      } catch (error) {
        if (stop.signal.aborted) return;
        if (error instanceof IdentityError || ++transportFailures >= MAX_TRANSPORT_FAILURES) {
          return fail(
            flow,
            error instanceof IdentityError
              ? error
              : new IdentityError('unexpected_response', 'Could not reach GitHub to finish the device flow', {
                  cause: error,
                }),
          );
        }
        continue;
      }
      if ('access_token' in answer) {
        tokens.set(flow.userId, answer.access_token);
        flow.status = 'succeeded';
        if (flows.get(flow.userId) === flow) flows.delete(flow.userId);
        logger?.info('GitHub device flow succeeded', { userId: flow.userId });
        return;
      }
      switch (answer.error) {
        case 'authorization_pending':
          break;
        case 'slow_down':
          intervalMs = Math.max(intervalMs + SLOW_DOWN_EXTRA_MS, (answer.interval ?? 0) * 1000);
          break;
        case 'expired_token':
          return fail(flow, expired());
        case 'access_denied':
          return fail(
            flow,
            new IdentityError(
              'consent_failed',
              'GitHub authorization was denied; send the message again to retry',
            ),
          );
        default:
          return fail(
            flow,
            new IdentityError(
              'unexpected_response',
              `GitHub device flow failed: ${answer.error}${answer.error_description ? ` (${answer.error_description})` : ''}`,
            ),
          );
      }
    }
  };

  return {
    async getToken(request: TokenRequest): Promise<TokenResult> {
      const { userId } = request;
      if (request.forceAuthentication) tokens.delete(userId);
      const token = tokens.get(userId);
      if (token !== undefined) return { kind: 'token', token };
      const flow = flows.get(userId);
      if (flow?.status === 'pending') return consentOf(flow);
      if (flow?.status === 'failed') {
        flows.delete(userId);
        throw flow.error;
      }
      // Concurrent first requests share one device code instead of showing the user two.
      let pending = starting.get(userId);
      if (!pending) {
        pending = start(userId).finally(() => starting.delete(userId));
        starting.set(userId, pending);
      }
      return consentOf(await pending);
    },

    async completeConsent(userId: string, sessionUri: string): Promise<void> {
      const flow = sessions.get(sessionUri);
      if (!flow || flow.userId !== userId) throw new ConsentForbiddenError();
      // Nothing to hand over in the device flow: polling finishes it. Report a failure if it already happened.
      if (flow.status === 'failed' && flow.error) throw flow.error;
    },

    close() {
      stop.abort();
    },

    async settled(userId: string): Promise<void> {
      await (starting.get(userId) ?? Promise.resolve());
      const flow = flows.get(userId) ?? [...sessions.values()].filter((f) => f.userId === userId).at(-1);
      await flow?.done;
    },
  };
}

function expired(): IdentityError {
  return new IdentityError(
    'consent_expired',
    'The GitHub device code expired before it was confirmed; send the message again for a new code',
  );
}

function errorField(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') {
    return body.error;
  }
  return undefined;
}

/** setTimeout that does not keep the process alive and stops on abort. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
