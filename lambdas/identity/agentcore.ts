import { randomBytes } from 'node:crypto';
import {
  type BedrockAgentCoreClient,
  CompleteResourceTokenAuthCommand,
  GetResourceOauth2TokenCommand,
  GetWorkloadAccessTokenForUserIdCommand,
} from '@aws-sdk/client-bedrock-agentcore';
import type { Logger } from '../log';
import { IdentityError } from './errors';
import { ConsentForbiddenError, type GitHubTokenPort, type TokenRequest, type TokenResult } from './port';

/** What the AgentCore adapter needs; built once at cold start. */
export interface AgentCoreTokenPortOptions {
  /** The data-plane client (its `endpoint` points at the stand-in in tests). Only `send` is used. */
  client: Pick<BedrockAgentCoreClient, 'send'>;
  /** The workload identity (WORKLOAD_IDENTITY_NAME). */
  workloadName: string;
  /** The OAuth2 credential provider (OAUTH_PROVIDER_NAME). */
  providerName: string;
  /** OAuth scopes to ask GitHub for (OAUTH_SCOPES). */
  scopes: string[];
  /** Return URLs registered in the workload identity (OAUTH_RETURN_URLS). */
  allowedReturnUrls: string[];
  /** Used when a request names no return URL; must be on `allowedReturnUrls`. Defaults to the first of them. */
  defaultReturnUrl?: string;
  /** The CSRF `customState` generator; 32 random bytes as base64url unless a test injects its own. */
  randomState?: () => string;
  /** Logs ids and outcomes only, never a token. */
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
}

/** 256 bits from the OS CSRNG, URL-safe so it survives the redirect's query string unchanged. */
export function randomCustomState(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The GitHub token port backed by AgentCore Identity 3-legged OAuth (`USER_FEDERATION`).
 *
 * Each `getToken` mints a workload access token for the user (`GetWorkloadAccessTokenForUserId`) and asks the vault
 * for that user's GitHub token (`GetResourceOauth2Token`). When none is stored (or `forceAuthentication`), AgentCore
 * answers with an authorization URL instead, and we return `{kind: 'consent'}` at once rather than wait for a human.
 * A fresh random `customState` goes with every request; AgentCore hands it back on the redirect to the return URL,
 * where the client checks it (CSRF).
 *
 * Return URLs: a requested `returnUrl` that is not on `allowedReturnUrls` is **rejected** with
 * `IdentityError('return_url_not_allowed')` rather than silently replaced by the default, because the client
 * listening on the URL it asked for would otherwise wait for a redirect that goes elsewhere.
 *
 * @throws Error at construction when the default return URL is not on the allowed list
 */
export function createAgentCoreTokenPort(options: AgentCoreTokenPortOptions): GitHubTokenPort {
  const { client, workloadName, providerName, scopes, logger } = options;
  const randomState = options.randomState ?? randomCustomState;
  const allowed = new Map(options.allowedReturnUrls.map((url) => [normalizeUrl(url), url]));
  const defaultReturnUrl = options.defaultReturnUrl ?? options.allowedReturnUrls[0];
  if (defaultReturnUrl === undefined || !allowed.has(normalizeUrl(defaultReturnUrl))) {
    throw new Error(
      `The default OAuth return URL ${String(defaultReturnUrl)} must be one of the allowed return URLs (OAUTH_RETURN_URLS)`,
    );
  }

  const resolveReturnUrl = (requested: string | undefined): string => {
    if (requested === undefined) return defaultReturnUrl;
    const match = allowed.get(normalizeUrl(requested));
    if (match === undefined) {
      throw new IdentityError(
        'return_url_not_allowed',
        `The return URL ${requested} is not allowed; use one of: ${[...allowed.values()].join(', ')}`,
      );
    }
    // Send the configured spelling: AgentCore compares it with what the workload identity registered.
    return match;
  };

  return {
    async getToken(request: TokenRequest): Promise<TokenResult> {
      const returnUrl = resolveReturnUrl(request.returnUrl);
      const workloadToken = await call(
        'GetWorkloadAccessTokenForUserId',
        () =>
          client.send(new GetWorkloadAccessTokenForUserIdCommand({ workloadName, userId: request.userId })),
        { workloadName, providerName, returnUrl },
      );
      if (!workloadToken.workloadAccessToken) {
        throw new IdentityError('unexpected_response', 'AgentCore returned no workload access token');
      }
      const customState = randomState();
      const answer = await call(
        'GetResourceOauth2Token',
        () =>
          client.send(
            new GetResourceOauth2TokenCommand({
              workloadIdentityToken: workloadToken.workloadAccessToken,
              resourceCredentialProviderName: providerName,
              scopes: request.scopes ? [...new Set([...scopes, ...request.scopes])] : scopes,
              oauth2Flow: 'USER_FEDERATION',
              resourceOauth2ReturnUrl: returnUrl,
              customState,
              forceAuthentication: request.forceAuthentication ?? false,
            }),
          ),
        { workloadName, providerName, returnUrl },
      );
      if (answer.accessToken) {
        logger?.debug('GitHub token obtained from AgentCore', { userId: request.userId });
        return { kind: 'token', token: answer.accessToken };
      }
      if (answer.sessionStatus === 'FAILED') {
        throw new IdentityError(
          'consent_failed',
          'The GitHub authorization failed; send the message again to retry',
        );
      }
      if (answer.authorizationUrl && answer.sessionUri) {
        logger?.info('GitHub consent required', { userId: request.userId, sessionUri: answer.sessionUri });
        return {
          kind: 'consent',
          authorizationUrl: answer.authorizationUrl,
          sessionUri: answer.sessionUri,
          state: customState,
        };
      }
      throw new IdentityError(
        'unexpected_response',
        'AgentCore returned neither an access token nor an authorization URL with a session URI',
      );
    },

    async completeConsent(userId: string, sessionUri: string): Promise<void> {
      try {
        await client.send(new CompleteResourceTokenAuthCommand({ userIdentifier: { userId }, sessionUri }));
        logger?.info('GitHub consent completed', { userId, sessionUri });
      } catch (error) {
        logFailure('CompleteResourceTokenAuth', error, { userId, sessionUri });
        // AgentCore's session binding: another user's (or an expired) session is "Invalid or expired session".
        if (isInvalidSession(error) || errorName(error) === 'ResourceNotFoundException') {
          throw new ConsentForbiddenError();
        }
        if (errorName(error) === 'ValidationException') {
          // Typically the browser step is not finished yet, or the session URI is malformed.
          throw new IdentityError(
            'consent_failed',
            'AgentCore could not complete this authorization: the browser step is not finished, or the session is malformed. Open the authorization link again, approve the app, then retry.',
            { cause: error },
          );
        }
        // Any other denial is AWS refusing the deployment (IAM, or the client secret in Secrets Manager).
        throw mapAgentCoreError(error, { workloadName, providerName });
      }
    },
  };

  /** AWS's own text (role ARNs, the account id) goes to the log only, never into an error a user sees. */
  function logFailure(operation: string, error: unknown, ids: Record<string, string>): void {
    logger?.warn('AgentCore Identity call failed', {
      operation,
      ...ids,
      errorName: errorName(error),
      detail: error instanceof Error ? error.message : String(error),
    });
  }

  async function call<T>(operation: string, send: () => Promise<T>, context: ErrorContext): Promise<T> {
    try {
      return await send();
    } catch (error) {
      logFailure(operation, error, { workloadName, providerName });
      throw mapAgentCoreError(error, context);
    }
  }
}

/**
 * The message AgentCore's session binding answers when `CompleteResourceTokenAuth` names a session this user did not
 * start, or one that expired (an AccessDeniedException). The API reference lists only the exception, not its text;
 * this text is AgentCore's session-binding refusal as reported in aws/bedrock-agentcore-sdk-typescript#37. Any other
 * AccessDeniedException is AWS refusing the deployment itself.
 */
const INVALID_SESSION = 'invalid or expired session';

function isInvalidSession(error: unknown): boolean {
  return (
    errorName(error) === 'AccessDeniedException' &&
    error instanceof Error &&
    error.message.toLowerCase().includes(INVALID_SESSION)
  );
}

interface ErrorContext {
  workloadName: string;
  providerName: string;
  returnUrl?: string;
}

/**
 * Turns an AgentCore exception into an {@link IdentityError} that says what to fix, without AWS's own text (it names
 * role ARNs and the account id; callers log it). Unknown errors pass through.
 */
export function mapAgentCoreError(error: unknown, context: ErrorContext): unknown {
  const name = errorName(error);
  const message = error instanceof Error ? error.message.toLowerCase() : '';
  if (name === 'ResourceNotFoundException') {
    if (message.includes('workload')) {
      return new IdentityError(
        'workload_not_found',
        `AgentCore has no workload identity named "${context.workloadName}": check WORKLOAD_IDENTITY_NAME against the stack's workload identity.`,
        { cause: error },
      );
    }
    return new IdentityError(
      'provider_not_found',
      `AgentCore has no credential provider named "${context.providerName}": check OAUTH_PROVIDER_NAME against the provider the stack created.`,
      { cause: error },
    );
  }
  if (name === 'ValidationException' && (message.includes('returnurl') || message.includes('return url'))) {
    return new IdentityError(
      'return_url_not_registered',
      `AgentCore rejected the return URL ${context.returnUrl ?? ''}: register the return URL in the workload identity's allowed resource OAuth2 return URLs.`,
      { cause: error },
    );
  }
  if (name === 'AccessDeniedException') {
    const what = message.includes('secretsmanager')
      ? "AWS denied reading the GitHub OAuth app's client secret: the operator must allow secretsmanager:GetSecretValue on the provider's secret (in the function's role and in the secret's resource policy, if it has one)."
      : `AWS denied the function's call to AgentCore Identity: the operator must allow bedrock-agentcore:GetWorkloadAccessTokenForUserId, GetResourceOauth2Token and CompleteResourceTokenAuth on workload "${context.workloadName}" and provider "${context.providerName}" in the function's role.`;
    return new IdentityError(
      'identity_misconfigured',
      `The deployment's GitHub connection is misconfigured. ${what} The details are in the function's log.`,
      { cause: error },
    );
  }
  return error;
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function normalizeUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}
