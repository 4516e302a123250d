import * as z from 'zod';
import { ProviderFailure } from './errors';

/** AgentCore's pattern for credential provider names. */
export const PROVIDER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,128}$/;

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
  RetainOnDelete: z
    .enum(['true', 'false'], { error: 'must be "true" or "false"' })
    .default('false')
    .transform((value) => value === 'true'),
});

/** Validated custom resource properties. */
export interface ProviderProperties {
  providerName: string;
  clientId: string;
  secretId: string;
  secretJsonKey: string;
  retainOnDelete: boolean;
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
  const { ProviderName, ClientId, SecretId, SecretJsonKey, RetainOnDelete } = result.data;
  return {
    providerName: ProviderName,
    clientId: ClientId,
    secretId: SecretId,
    secretJsonKey: SecretJsonKey,
    retainOnDelete: RetainOnDelete,
  };
}

/** Reads only `RetainOnDelete` (a Delete must not fail because other properties went stale). */
export function retainOnDelete(raw: unknown): boolean {
  return (
    typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>).RetainOnDelete === 'true'
  );
}
