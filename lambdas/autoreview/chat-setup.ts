import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConsentRequiredError } from '../agent/tool';
import type { DirectCommands, TurnScope } from '../agent/turn';
import type { Config } from '../config';
import type { GitHubAccess } from '../github/access';
import type { GitHubTokenPort } from '../identity/port';
import type { Logger } from '../log';
import { createCachedSecret, secretsManagerFetch } from '../webhook/secret';
import type { HoldWrite } from '../writes/gate';
import { type AutoReviewSetup, createApprovalTools, runAutoReviewCommand } from './chat';
import { parseAutoReviewCommand } from './command-parse';
import { createRepoHooks } from './github-hooks';
import { HOOK_SCOPE } from './subscribe';
import { createSubscriptionStore } from './subscriptions';

/** The config fields the chat side of auto-review reads. */
export type AutoReviewChatConfig = Pick<
  Config,
  | 'AUTO_REVIEW_TABLE'
  | 'WEBHOOK_URL'
  | 'WEBHOOK_SECRET_ARN'
  | 'WEBHOOK_SECRET'
  | 'OAUTH_SCOPES'
  | 'IDENTITY_PROVIDER'
>;

export interface AutoReviewChatWiring {
  dynamo: Pick<DynamoDBClient, 'send'>;
  /** Built only when the secret is read from Secrets Manager (so local runs need no AWS client). */
  secretsManager: () => Pick<SecretsManagerClient, 'send'>;
  tokenPort: GitHubTokenPort;
  /** The user's per-turn GitHub access, asking for `scopes` on top of the configured ones. */
  accessFor(scope: TurnScope, scopes?: string[]): GitHubAccess;
  hold: HoldWrite;
  now: () => Date;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

/** The webhook secret is read again after this long (a rotation is picked up within it). */
const SECRET_TTL_MS = 5 * 60_000;
/** Scopes with which a token can create and delete repository webhooks. */
const HOOK_ADMIN_SCOPES = [HOOK_SCOPE, 'repo'];

/**
 * Whether this deployment can subscribe repositories, from its config: the AutoReview table, the webhook URL and the
 * webhook secret (its ARN, or the value itself for local runs) must all be set; otherwise the names of what is missing.
 */
export function autoReviewSetup(config: AutoReviewChatConfig, wiring: AutoReviewChatWiring): AutoReviewSetup {
  const missing = [
    ...(config.AUTO_REVIEW_TABLE ? [] : ['AUTO_REVIEW_TABLE']),
    ...(config.WEBHOOK_URL ? [] : ['WEBHOOK_URL']),
    ...(config.WEBHOOK_SECRET_ARN || config.WEBHOOK_SECRET ? [] : ['WEBHOOK_SECRET_ARN']),
  ];
  if (!config.AUTO_REVIEW_TABLE || !config.WEBHOOK_URL || missing.length > 0)
    return { enabled: false, missing };
  const localSecret = config.WEBHOOK_SECRET;
  const secret = createCachedSecret({
    fetch:
      localSecret !== undefined
        ? async () => localSecret
        : secretsManagerFetch(wiring.secretsManager(), config.WEBHOOK_SECRET_ARN ?? ''),
    ttlMs: SECRET_TTL_MS,
    minRefreshMs: SECRET_TTL_MS,
  });
  return {
    enabled: true,
    store: createSubscriptionStore({ client: wiring.dynamo, tableName: config.AUTO_REVIEW_TABLE }),
    webhookUrl: config.WEBHOOK_URL,
    webhookSecret: () => secret.get(),
  };
}

/**
 * The auto-review chat commands for the turn: matched before the model, with their approval tools. GitHub calls for a
 * subscription ask AgentCore for {@link HOOK_SCOPE} too when the configured scopes cannot manage webhooks, and a token
 * that turns out to lack it starts a consent for it (AgentCore only: a static token or the device flow cannot widen).
 */
export function createAutoReviewCommands(
  config: AutoReviewChatConfig,
  wiring: AutoReviewChatWiring,
): DirectCommands {
  const setup = autoReviewSetup(config, wiring);
  const extraScopes = config.OAUTH_SCOPES.some((scope) => HOOK_ADMIN_SCOPES.includes(scope))
    ? undefined
    : [HOOK_SCOPE];
  const deps = {
    setup,
    hold: wiring.hold,
    now: wiring.now,
    logger: wiring.logger,
    githubFor: (scope: TurnScope) => ({
      hooks: createRepoHooks(wiring.accessFor(scope, extraScopes)),
      requestHookScope: async () => {
        if (config.IDENTITY_PROVIDER !== 'agentcore') return undefined;
        const result = await wiring.tokenPort.getToken({
          userId: scope.userId,
          returnUrl: scope.returnUrl,
          scopes: [HOOK_SCOPE],
          forceAuthentication: true,
        });
        if (result.kind === 'token') return undefined;
        wiring.logger.info('Asking for the webhook scope', { userId: scope.userId, scope: HOOK_SCOPE });
        return new ConsentRequiredError(
          result.authorizationUrl,
          result.sessionUri,
          result.state,
          result.userCode,
        );
      },
    }),
  };
  return {
    match(message) {
      const command = parseAutoReviewCommand(message);
      return command && ((scope) => runAutoReviewCommand(deps, scope, command));
    },
    approvalTools: (scope) => createApprovalTools(deps, scope),
  };
}
