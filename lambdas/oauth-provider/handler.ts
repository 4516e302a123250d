import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createLogger, type Logger, type LogLevel } from '../log';
import { createProviderClients, type ProviderClients } from './clients';
import { createCredentialProviderApi } from './credential-provider';
import { handleProviderEvent, type OnEventResult } from './lifecycle';
import { createSecretReferenceChecker } from './secret';

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
): (event: CloudFormationCustomResourceEvent) => Promise<OnEventResult> {
  const deps = {
    providers: createCredentialProviderApi(clients.agentCoreControl),
    secrets: createSecretReferenceChecker(clients.secretsManager),
    logger,
  };
  return async (event) => {
    logger.info('Custom resource event', {
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : undefined,
    });
    try {
      return await handleProviderEvent(event, deps);
    } catch (error) {
      logger.error('Custom resource event failed', { requestType: event.RequestType, error });
      throw error;
    }
  };
}

/** The Lambda entry point: clients are built once per cold start. */
export const handler = createOnEventHandler(createProviderClients());
