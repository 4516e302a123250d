import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Logger } from '../log';
import type { CredentialProviderApi, ProviderInfo, ProviderSpec } from './credential-provider';
import { ProviderFailure } from './errors';
import {
  PROVIDER_NAME_PATTERN,
  type ProviderProperties,
  parseProviderProperties,
  retainOnDelete,
} from './properties';
import type { SecretReferenceChecker } from './secret';

/** The Provider framework's onEvent answer: the physical id is the provider name. */
export interface OnEventResult {
  PhysicalResourceId: string;
  Data?: {
    ProviderArn: string;
    CallbackUrl: string;
    /** "true" when a provider of that name already existed and this stack took it over. */
    Adopted: 'true' | 'false';
  };
}

export interface LifecycleDeps {
  providers: CredentialProviderApi;
  secrets: SecretReferenceChecker;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Handles one CloudFormation event for the GitHub credential provider:
 * - Create: verify the secret, create the provider; if the name is taken (e.g. created by hand with the seed's
 *   script), adopt it by updating it to this configuration.
 * - Update: same name → update (recreating it if someone deleted it); new name → create/adopt the new one and
 *   return its name, after which CloudFormation sends a Delete for the old one.
 * - Delete: delete by physical id; a missing provider is success; `RetainOnDelete` keeps it.
 * @throws ProviderFailure with a reason CloudFormation shows the operator
 */
export async function handleProviderEvent(
  event: CloudFormationCustomResourceEvent,
  deps: LifecycleDeps,
): Promise<OnEventResult> {
  switch (event.RequestType) {
    case 'Create':
      return putProvider(parseProviderProperties(event.ResourceProperties), deps, 'create');
    case 'Update': {
      const properties = parseProviderProperties(event.ResourceProperties);
      const renamed = properties.providerName !== event.PhysicalResourceId;
      return putProvider(properties, deps, renamed ? 'create' : 'update');
    }
    case 'Delete':
      return deleteProvider(event.PhysicalResourceId, retainOnDelete(event.ResourceProperties), deps);
  }
}

async function putProvider(
  properties: ProviderProperties,
  deps: LifecycleDeps,
  intent: 'create' | 'update',
): Promise<OnEventResult> {
  const { secretArn } = await deps.secrets.verify(properties.secretId, properties.secretJsonKey);
  const spec: ProviderSpec = {
    name: properties.providerName,
    clientId: properties.clientId,
    secretArn,
    jsonKey: properties.secretJsonKey,
  };

  let outcome: { info: ProviderInfo; adopted: boolean };
  if (intent === 'update') {
    const updated = await deps.providers.update(spec);
    // Deleted behind the stack's back: put it back rather than fail the update.
    outcome = updated === 'missing' ? await createOrAdopt(spec, deps) : { info: updated, adopted: false };
  } else {
    outcome = await createOrAdopt(spec, deps);
  }
  const { info, adopted } = outcome;
  deps.logger.info('GitHub credential provider ready', {
    providerName: spec.name,
    providerArn: info.arn,
    intent,
    adopted,
  });
  return {
    PhysicalResourceId: spec.name,
    Data: { ProviderArn: info.arn, CallbackUrl: info.callbackUrl, Adopted: adopted ? 'true' : 'false' },
  };
}

async function createOrAdopt(
  spec: ProviderSpec,
  deps: LifecycleDeps,
): Promise<{ info: ProviderInfo; adopted: boolean }> {
  const created = await deps.providers.create(spec);
  if (created !== 'exists') return { info: created, adopted: false };
  deps.logger.warn('A credential provider with this name already exists: adopting it', {
    providerName: spec.name,
  });
  const updated = await deps.providers.update(spec);
  if (updated === 'missing') {
    throw new ProviderFailure(
      `Credential provider "${spec.name}" was reported as existing but vanished while being adopted; deploy again`,
    );
  }
  return { info: updated, adopted: true };
}

async function deleteProvider(
  physicalId: string,
  retain: boolean,
  deps: LifecycleDeps,
): Promise<OnEventResult> {
  if (!PROVIDER_NAME_PATTERN.test(physicalId)) {
    // Not a provider name (e.g. the id of a create that never got that far): there is nothing to delete.
    deps.logger.warn('Delete for a physical id that is not a provider name: nothing to do', { physicalId });
    return { PhysicalResourceId: physicalId };
  }
  if (retain) {
    deps.logger.info('RetainOnDelete is set: leaving the credential provider in place', {
      providerName: physicalId,
    });
    return { PhysicalResourceId: physicalId };
  }
  const outcome = await deps.providers.remove(physicalId);
  deps.logger.info('GitHub credential provider deleted', { providerName: physicalId, outcome });
  return { PhysicalResourceId: physicalId };
}
