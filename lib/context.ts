import * as z from 'zod';

/** The Region the stack deploys to when `-c region=...` is not given. */
export const DEFAULT_REGION = 'ap-southeast-2';

/**
 * Claude Sonnet 4.6 through the Australian (`au.`) cross-Region inference profile: source Regions Sydney and
 * Melbourne, inference kept inside Australia/New Zealand. Sonnet 4.6 is the newest Sonnet Anthropic lists for the
 * Converse/InvokeModel Bedrock integration the agent loop uses (see docs/deployment.md for the sources).
 */
export const DEFAULT_MODEL_ID = 'au.anthropic.claude-sonnet-4-6';

/** The terminal client's loopback listener (bin/client/oauth-listener.ts). */
export const DEFAULT_RETURN_URL = 'http://localhost:8976/oauth/callback';

/** Context keys the app reads (cdk.json "context" or `-c key=value`), for docs and error messages. */
export const CONTEXT_KEYS = [
  'stackName',
  'region',
  'modelId',
  'modelDestinationRegions',
  'githubClientId',
  'githubSecretName',
  'githubSecretJsonKey',
  'providerName',
  'workloadIdentityName',
  'oauthScopes',
  'returnUrls',
  'corsOrigins',
  'reviewPathPrefixes',
  'chatTimeoutSeconds',
  'chatMemoryMb',
  'logLevel',
  'retainProviderOnDelete',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** `-c key=a,b` arrives as a string, cdk.json may hold a JSON array: accept both; "" means an empty list. */
const list = (fallback: string[]) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) => {
      if (value === undefined) return fallback;
      const items = Array.isArray(value) ? value : value.split(',');
      return items.map((item) => item.trim()).filter((item) => item.length > 0);
    });

const intInRange = (fallback: number, min: number, max: number, unit: string) =>
  z.coerce
    .number()
    .int(`must be a whole number of ${unit}`)
    .min(min, `must be at least ${min} ${unit}`)
    .max(max, `must be at most ${max} ${unit}`)
    .default(fallback);

const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .default(false)
  .transform((value) => value === true || value === 'true');

/** AgentCore Identity resource names: letters, digits, '-' and '_' (the control-plane API's own pattern). */
const agentCoreName = (fallback: string) =>
  z
    .string()
    .regex(/^[a-zA-Z0-9_-]+$/, "may contain only letters, digits, '-' and '_'")
    .max(128, 'must be at most 128 characters')
    .default(fallback);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** Every context parameter, validated; `cdk synth` fails with one line per bad key. */
export const contextSchema = z.object({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
    .default('GitHubCodingAgent'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS Region code such as ap-southeast-2')
    .default(DEFAULT_REGION),
  modelId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.:-]*$/, 'must be a Bedrock model or inference profile id')
    .default(DEFAULT_MODEL_ID),
  /** Regions a cross-Region profile may route to; only needed for prefixes other than `au.` and `global.`. */
  modelDestinationRegions: list([]).pipe(
    z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must list AWS Region codes')),
  ),
  /**
   * The GitHub OAuth App's client id. Optional at synth time: without it the template asks for the CloudFormation
   * parameter `GitHubClientId`, which `cdk deploy` refuses to leave empty before creating anything.
   */
  githubClientId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{8,64}$/, "must be the GitHub OAuth App's client id (e.g. Ov23li...)")
    .optional(),
  githubSecretName: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name')
    .default('github-coding-agent/oauth'),
  githubSecretJsonKey: z.string().min(1).max(256).default('clientSecret'),
  providerName: agentCoreName('github-provider'),
  workloadIdentityName: agentCoreName('github-coding-agent'),
  oauthScopes: list(['repo', 'read:user']).pipe(z.array(z.string()).min(1, 'needs at least one scope')),
  returnUrls: list([DEFAULT_RETURN_URL]).pipe(z.array(httpUrl).min(1, 'needs at least one return URL')),
  corsOrigins: list([]).pipe(
    z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/, error: 'must be an origin URL or *' })])),
  ),
  reviewPathPrefixes: list(['agent-tasks/']),
  chatTimeoutSeconds: intInRange(300, 10, 900, 'seconds'),
  chatMemoryMb: intInRange(1024, 128, 10240, 'MB'),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Keep the OAuth provider when the stack is deleted (e.g. one an operator created by hand and the stack adopted). */
  retainProviderOnDelete: flag,
});

export type StackContext = z.infer<typeof contextSchema>;

/** Thrown at synth when a context value is unusable; the message names each bad key. */
export class ContextError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid CDK context:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ContextError';
  }
}

/**
 * Validates raw context values (what `node.tryGetContext` returns for each key).
 * @throws ContextError naming every invalid key and why
 */
export function parseContext(raw: Partial<Record<ContextKey, unknown>>): StackContext {
  const result = contextSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ContextError(
    result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(context)';
      return `${key}: ${issue.message} (got ${JSON.stringify(raw[issue.path[0] as ContextKey])})`;
    }),
  );
}

/** Reads every known key through `tryGetContext` (cdk.json, `-c`, or a test's App context) and validates it. */
export function readContext(getContext: (key: string) => unknown): StackContext {
  const raw: Partial<Record<ContextKey, unknown>> = {};
  for (const key of CONTEXT_KEYS) {
    const value = getContext(key);
    if (value !== undefined) raw[key] = value;
  }
  return parseContext(raw);
}
