import * as z from 'zod';
import { ProviderFailure } from './errors';

/** AgentCore's pattern for credential provider names. */
export const PROVIDER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,128}$/;

/** Prefix of the physical id of a provider this stack adopted rather than created. */
const ADOPTED_PREFIX = 'adopted:';

/** Who a provider named by a physical id belongs to. */
export interface ProviderIdentity {
  name: string;
  /** True when the provider existed before this stack and was adopted (`-c adoptExistingProvider=true`). */
  adopted: boolean;
}

/**
 * The physical id is all CloudFormation remembers about the resource between events, so it records whether the
 * stack created the provider (`<name>`) or adopted one that was already there (`adopted:<name>`): a Delete, a
 * rollback or a rename then knows whether the provider is the stack's to delete.
 */
export function physicalIdOf(identity: ProviderIdentity): string {
  return identity.adopted ? `${ADOPTED_PREFIX}${identity.name}` : identity.name;
}

/** Reads a physical id back; `undefined` when it names no provider (e.g. the marker of a failed create). */
export function parsePhysicalId(physicalId: string): ProviderIdentity | undefined {
  const adopted = physicalId.startsWith(ADOPTED_PREFIX);
  const name = adopted ? physicalId.slice(ADOPTED_PREFIX.length) : physicalId;
  return PROVIDER_NAME_PATTERN.test(name) ? { name, adopted } : undefined;
}

const booleanText = () =>
  z
    .enum(['true', 'false'], { error: 'must be "true" or "false"' })
    .default('false')
    .transform((value) => value === 'true');

/** The custom resource's properties as CloudFormation sends them (all strings). */
export const providerPropertiesSchema = z.object({
  ProviderName: z
    .string()
    .regex(PROVIDER_NAME_PATTERN, "must be 1-128 letters, digits, '-' or '_'")
    .default('github-provider'),
  ClientId: z
    .string({ error: 'is missing: deploy with -c githubClientId=<the GitHub OAuth App client ID>' })
    .regex(/^[A-Za-z0-9._-]{8,64}$/, "must be the GitHub OAuth App's client ID (e.g. Ov23li...)"),
  SecretId: z
    .string({ error: 'is missing: name the Secrets Manager secret holding the client secret' })
    .min(1, 'must name the Secrets Manager secret holding the client secret'),
  SecretJsonKey: z.string().min(1, 'must name a JSON key').default('clientSecret'),
  RetainOnDelete: booleanText(),
  AdoptExisting: booleanText(),
  DeleteAdoptedOnDelete: booleanText(),
});

/** Validated custom resource properties. */
export interface ProviderProperties {
  providerName: string;
  clientId: string;
  secretId: string;
  secretJsonKey: string;
  retainOnDelete: boolean;
  /** Take over a provider of that name that already exists (otherwise its existence fails the deploy). */
  adoptExisting: boolean;
  /** Delete an adopted provider with the stack too (otherwise it is left in place). */
  deleteAdoptedOnDelete: boolean;
}

/**
 * Validates the custom resource's properties.
 * @throws ProviderFailure naming every invalid property (values are names and ids, never secrets)
 */
export function parseProviderProperties(raw: unknown): ProviderProperties {
  const result = providerPropertiesSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || 'properties'} ${issue.message}`,
    );
    throw new ProviderFailure(`Invalid GitHub OAuth provider properties: ${problems.join('; ')}`);
  }
  const data = result.data;
  return {
    providerName: data.ProviderName,
    clientId: data.ClientId,
    secretId: data.SecretId,
    secretJsonKey: data.SecretJsonKey,
    retainOnDelete: data.RetainOnDelete,
    adoptExisting: data.AdoptExisting,
    deleteAdoptedOnDelete: data.DeleteAdoptedOnDelete,
  };
}

/** Reads one "true"/"false" property leniently: a Delete must not fail because other properties went stale. */
export function flagProperty(
  raw: unknown,
  key: 'RetainOnDelete' | 'DeleteAdoptedOnDelete' | 'AdoptExisting',
): boolean {
  return typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>)[key] === 'true';
}
