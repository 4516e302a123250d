import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Logger } from '../log';
import type { CredentialProviderApi, ProviderInfo, ProviderSpec } from './credential-provider';
import { errorMessage, ProviderFailure } from './errors';
import {
  flagProperty,
  type ProviderIdentity,
  type ProviderProperties,
  parsePhysicalId,
  parseProviderProperties,
  physicalIdOf,
} from './properties';
import type { SecretReferenceChecker } from './secret';
import { type Backoff, type WaitClock, waitUntilGone, waitUntilReady } from './wait';

/** The Provider framework's onEvent answer: the physical id records the provider name and whether it was adopted. */
export interface OnEventResult {
  PhysicalResourceId: string;
  Data?: {
    /** The provider's name (the physical id is `adopted:<name>` for an adopted provider). */
    ProviderName: string;
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
  clock: WaitClock;
  /** How long this event may wait for AgentCore (ms), measured from when the event starts. */
  waitBudgetMs: number;
  backoff?: Backoff;
}

/**
 * Handles one CloudFormation event for the GitHub credential provider. Every change waits until AgentCore has
 * finished it (READY, or gone), so the stack never reports success for a provider that is still changing.
 * - Create: verify the secret, create the provider and wait for READY. A name that is already taken fails the
 *   deploy unless `AdoptExisting` is set; then the existing provider is updated and adopted.
 * - Update: same name → update and wait (recreating it if someone deleted it); new name → create/adopt the new one
 *   and return its physical id, after which CloudFormation sends a Delete for the old one.
 * - Delete: delete and wait until it is gone. Kept instead when `RetainOnDelete` is set, or when the stack adopted it
 *   and `DeleteAdoptedOnDelete` is not set: deleting a provider deletes every user's stored GitHub tokens.
 * @throws ProviderFailure with a reason CloudFormation shows the operator
 */
export async function handleProviderEvent(
  event: CloudFormationCustomResourceEvent,
  deps: LifecycleDeps,
): Promise<OnEventResult> {
  const deadline = deps.clock.now() + deps.waitBudgetMs;
  switch (event.RequestType) {
    case 'Create':
      return createOrAdopt(parseProviderProperties(event.ResourceProperties), deps, deadline);
    case 'Update': {
      const properties = parseProviderProperties(event.ResourceProperties);
      const current = parsePhysicalId(event.PhysicalResourceId);
      if (current?.name !== properties.providerName) return createOrAdopt(properties, deps, deadline);
      return updateInPlace(properties, current, deps, deadline);
    }
    case 'Delete':
      return deleteProvider(event, deps, deadline);
  }
}

async function specOf(properties: ProviderProperties, deps: LifecycleDeps): Promise<ProviderSpec> {
  const { secretArn } = await deps.secrets.verify(properties.secretId, properties.secretJsonKey);
  return {
    name: properties.providerName,
    clientId: properties.clientId,
    secretArn,
    jsonKey: properties.secretJsonKey,
  };
}

function result(identity: ProviderIdentity, info: ProviderInfo, deps: LifecycleDeps): OnEventResult {
  deps.logger.info('GitHub credential provider ready', {
    providerName: identity.name,
    providerArn: info.arn,
    adopted: identity.adopted,
  });
  return {
    PhysicalResourceId: physicalIdOf(identity),
    Data: {
      ProviderName: identity.name,
      ProviderArn: info.arn,
      CallbackUrl: info.callbackUrl,
      Adopted: identity.adopted ? 'true' : 'false',
    },
  };
}

async function createOrAdopt(
  properties: ProviderProperties,
  deps: LifecycleDeps,
  deadline: number,
): Promise<OnEventResult> {
  const spec = await specOf(properties, deps);
  const waitDeps = { providers: deps.providers, clock: deps.clock, deadline, backoff: deps.backoff };

  let created = await deps.providers.create(spec);
  if (created === 'exists' && (await deps.providers.describe(spec.name))?.status === 'DELETING') {
    // The same name deleted moments ago (destroy, then deploy): let the deletion finish, then create afresh.
    deps.logger.info('A credential provider of this name is still being deleted: waiting for it', {
      providerName: spec.name,
    });
    await waitUntilGone(spec.name, waitDeps);
    created = await deps.providers.create(spec);
  }

  if (created !== 'exists') {
    const identity = { name: spec.name, adopted: false };
    try {
      return result(identity, await waitUntilReady(spec.name, created, waitDeps), deps);
    } catch (error) {
      // CloudFormation sends no Delete after a failed create, so the half-made provider is removed here; left
      // behind, its name would fail the next deploy as "already exists".
      throw await withCleanup(error, spec.name, deps);
    }
  }

  if (!properties.adoptExisting) {
    throw new ProviderFailure(
      `Credential provider "${spec.name}" already exists in this account and Region and this stack did not create ` +
        'it (another stack, or someone by hand, did). To take it over, deploy with -c adoptExistingProvider=true: ' +
        'its users keep their GitHub sign-ins, and it is left in place when this stack is deleted. To use a separate provider, deploy with -c providerName=<another name>.',
    );
  }
  deps.logger.warn('A credential provider with this name already exists: adopting it (AdoptExisting)', {
    providerName: spec.name,
  });
  const updated = await deps.providers.update(spec);
  if (updated === 'missing') {
    throw new ProviderFailure(
      `Credential provider "${spec.name}" was reported as existing but vanished while being adopted; deploy again`,
    );
  }
  return result({ name: spec.name, adopted: true }, await waitUntilReady(spec.name, updated, waitDeps), deps);
}

async function updateInPlace(
  properties: ProviderProperties,
  current: ProviderIdentity,
  deps: LifecycleDeps,
  deadline: number,
): Promise<OnEventResult> {
  const spec = await specOf(properties, deps);
  const updated = await deps.providers.update(spec);
  if (updated === 'missing') {
    // Deleted behind the stack's back: put it back rather than fail the update.
    deps.logger.warn('The credential provider was deleted outside the stack: creating it again', {
      providerName: spec.name,
    });
    const recreated = await createOrAdopt(properties, deps, deadline);
    // Keep the physical id: a new one would make CloudFormation delete the old id's name, i.e. this new provider
    // when the old id was adopted and DeleteAdoptedOnDelete is set.
    return { ...recreated, PhysicalResourceId: physicalIdOf(current) };
  }
  const waitDeps = { providers: deps.providers, clock: deps.clock, deadline, backoff: deps.backoff };
  return result(current, await waitUntilReady(spec.name, updated, waitDeps), deps);
}

/** Starts deleting a provider this event created and could not finish; says in the failure whether that worked. */
async function withCleanup(error: unknown, name: string, deps: LifecycleDeps): Promise<ProviderFailure> {
  const reason = errorMessage(error);
  try {
    await deps.providers.remove(name);
    return new ProviderFailure(`${reason}. The new provider "${name}" is being deleted again.`, {
      cause: error,
    });
  } catch (cleanupError) {
    deps.logger.warn('Could not delete the provider a failed create left behind', {
      providerName: name,
      error: errorMessage(cleanupError),
    });
    return new ProviderFailure(
      `${reason}. Deleting the new provider failed too: delete it with ` +
        `aws bedrock-agentcore-control delete-oauth2-credential-provider --name ${name} before deploying again.`,
      { cause: error },
    );
  }
}

async function deleteProvider(
  event: CloudFormationCustomResourceEvent & { RequestType: 'Delete' },
  deps: LifecycleDeps,
  deadline: number,
): Promise<OnEventResult> {
  const physicalId = event.PhysicalResourceId;
  const identity = parsePhysicalId(physicalId);
  if (!identity) {
    // Not a provider (e.g. the id of a create that never got that far): there is nothing to delete.
    deps.logger.warn('Delete for a physical id that is not a provider name: nothing to do', { physicalId });
    return { PhysicalResourceId: physicalId };
  }
  if (flagProperty(event.ResourceProperties, 'RetainOnDelete')) {
    deps.logger.info('RetainOnDelete is set: leaving the credential provider in place', {
      providerName: identity.name,
    });
    return { PhysicalResourceId: physicalId };
  }
  if (identity.adopted && !flagProperty(event.ResourceProperties, 'DeleteAdoptedOnDelete')) {
    deps.logger.info('The stack adopted this credential provider: leaving it in place', {
      providerName: identity.name,
    });
    return { PhysicalResourceId: physicalId };
  }
  const outcome = await deps.providers.remove(identity.name);
  if (outcome === 'deleting') {
    await waitUntilGone(identity.name, {
      providers: deps.providers,
      clock: deps.clock,
      deadline,
      backoff: deps.backoff,
    });
  }
  deps.logger.info('GitHub credential provider deleted', { providerName: identity.name, outcome });
  return { PhysicalResourceId: physicalId };
}
