import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { createLogger, type Logger, type LogLevel } from '../log';
import { createProviderClients, type ProviderClients } from './clients';
import { createCredentialProviderApi } from './credential-provider';
import { handleProviderEvent, type OnEventResult } from './lifecycle';
import { createSecretReferenceChecker } from './secret';
import { type Backoff, systemClock, type WaitClock } from './wait';

/**
 * The longest an event waits for AgentCore to finish a change. The handler's Lambda timeout
 * (lib/github-oauth-provider.ts, 10 minutes) leaves room for it plus the calls around it.
 */
export const MAX_WAIT_MS = 8 * 60_000;

/**
 * Time kept back from the Lambda's remaining time for the calls after the wait (a final status read, the clean-up
 * delete of a failed create), each bounded by the SDK's retries (lambdas/oauth-provider/clients.ts), so the
 * handler answers CloudFormation with a reason instead of timing out.
 */
export const RESERVED_MS = 90_000;

export interface OnEventOptions {
  clock?: WaitClock;
  maxWaitMs?: number;
  backoff?: Backoff;
}

/** How long this invocation may wait: the configured maximum, or less when the Lambda has less time left. */
export function waitBudgetMs(
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
  maxWaitMs: number,
): number {
  if (!context) return maxWaitMs;
  return Math.max(0, Math.min(maxWaitMs, context.getRemainingTimeInMillis() - RESERVED_MS));
}

/**
 * Builds the Provider framework's onEvent handler from AWS clients. Logs carry the request type, logical id and
 * provider name; never the properties' secret reference contents or any secret value.
 */
export function createOnEventHandler(
  clients: ProviderClients,
  logger: Pick<Logger, 'info' | 'warn' | 'error'> = createLogger(
    (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'INFO',
    'github-oauth-provider',
  ),
  options: OnEventOptions = {},
): (
  event: CloudFormationCustomResourceEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<OnEventResult> {
  const providers = createCredentialProviderApi(clients.agentCoreControl);
  const secrets = createSecretReferenceChecker(clients.secretsManager);
  return async (event, context) => {
    logger.info('Custom resource event', {
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
    });
    try {
      return await handleProviderEvent(event, {
        providers,
        secrets,
        logger,
        clock: options.clock ?? systemClock,
        waitBudgetMs: waitBudgetMs(context, options.maxWaitMs ?? MAX_WAIT_MS),
        backoff: options.backoff,
      });
    } catch (error) {
      logger.error('Custom resource event failed', { requestType: event.RequestType, error });
      throw error;
    }
  };
}

/** The Lambda entry point: clients are built once per cold start. */
export const handler = createOnEventHandler(createProviderClients());
