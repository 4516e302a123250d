import * as z from 'zod';
import { ModelAccessError, modelAccess, profileSourceRegionFits } from './model-access';

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
  'adoptExistingProvider',
  'deleteAdoptedProvider',
  'skipRegionChecks',
  'deploymentStrategy',
  'chatReservedConcurrency',
  'alarmEmail',
  'errorRateAlarmPercent',
  'firstTokenAlarmMs',
  'oauthSuccessAlarmPercent',
  'throttleAlarms',
  'dailyCostBudgetUsd',
  'userTurnsPerHour',
  'autoReview',
] as const;

/**
 * Regions with AgentCore Identity, from the AgentCore developer guide's "Supported AWS Regions" table
 * (docs.aws.amazon.com/bedrock-agentcore/latest/devguide/agentcore-regions.html). A Region AWS adds later passes
 * with `-c skipRegionChecks=true`.
 */
export const AGENTCORE_IDENTITY_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-5',
  'ap-southeast-7',
  'ap-northeast-1',
  'ap-northeast-2',
  'us-gov-west-1',
]);

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

const flagDefaulting = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .default(fallback)
    .transform((value) => value === true || value === 'true');
const flag = flagDefaulting(false);

/** An alarm threshold; 0 turns the alarm off. */
const threshold = (fallback: number, max: number, unit: string) =>
  z.coerce
    .number(`must be a number of ${unit} (0 turns the alarm off)`)
    .min(0, `must be 0 (off) or more ${unit}`)
    .max(max, `must be at most ${max} ${unit}`)
    .default(fallback);

/** How CodeDeploy shifts traffic to a new version (lib/canary-deployment.ts). */
export const DEPLOYMENT_STRATEGIES = ['canary', 'linear', 'all-at-once'] as const;

/** Credential provider names: letters, digits, '-' and '_' (the control-plane API's own pattern). */
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
  /** What AWS::BedrockAgentCore::WorkloadIdentity accepts for Name: 3-255 of [A-Za-z0-9_.-]. */
  workloadIdentityName: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "may contain only letters, digits, '.', '-' and '_'")
    .min(3, 'must be at least 3 characters')
    .max(255, 'must be at most 255 characters')
    .default('github-coding-agent'),
  oauthScopes: list(['repo', 'read:user']).pipe(z.array(z.string()).min(1, 'needs at least one scope')),
  returnUrls: list([DEFAULT_RETURN_URL]).pipe(z.array(httpUrl).min(1, 'needs at least one return URL')),
  corsOrigins: list([]).pipe(
    z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/, error: 'must be an origin URL or *' })])),
  ),
  reviewPathPrefixes: list(['agent-tasks/']),
  chatTimeoutSeconds: intInRange(300, 10, 900, 'seconds'),
  chatMemoryMb: intInRange(1024, 128, 10240, 'MB'),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Keep the OAuth provider when the stack is deleted, whoever created it. */
  retainProviderOnDelete: flag,
  /** Take over a provider of that name that already exists (by default an existing name fails the deploy). */
  adoptExistingProvider: flag,
  /** Delete an adopted provider with the stack (by default it is kept: deleting it deletes users' GitHub tokens). */
  deleteAdoptedProvider: flag,
  /** Skip the Region checks (AgentCore Identity's Regions, the model profile's geography) for a newer Region. */
  skipRegionChecks: flag,
  /** `canary`: 10 % for 5 minutes, then all; `linear`: 10 % more every minute; `all-at-once` (dev stacks). */
  deploymentStrategy: z
    .enum(DEPLOYMENT_STRATEGIES, { error: `must be one of ${DEPLOYMENT_STRATEGIES.join(', ')}` })
    .default('canary'),
  /** Concurrent executions kept for (and limiting) the chat function; unset: the account's unreserved pool. */
  chatReservedConcurrency: z.coerce
    .number()
    .int('must be a whole number of concurrent executions')
    .min(1, 'must be at least 1 (leave it unset for no reservation)')
    .max(10_000, 'must be at most 10000')
    .optional(),
  /** Alarm notifications go to this address through an SNS topic (the recipient confirms the subscription). */
  alarmEmail: z.email('must be an e-mail address').optional(),
  /** Turns ending in a server-side error, over 5 minutes (with at least 10 turns); also rolls a deployment back. */
  errorRateAlarmPercent: threshold(1, 100, 'percent'),
  /** p95 time to first token over 5 minutes; also rolls a deployment back. */
  firstTokenAlarmMs: threshold(2000, 60_000, 'milliseconds'),
  /** Consents completed out of those finished (completed, failed, expired) over an hour, with at least 10. */
  oauthSuccessAlarmPercent: threshold(90, 100, 'percent'),
  /** Alarm on any Lambda throttle of the chat function and any DynamoDB throttle of its tables. */
  throttleAlarms: flagDefaulting(true),
  /** Estimated model cost per day (EstimatedCostUsd) above this many US dollars. */
  dailyCostBudgetUsd: threshold(50, 1_000_000, 'US dollars'),
  /**
   * Chat turns one user may start per clock hour; 0: no bound. 60 is more than a person typing sustains for an hour,
   * and caps what a runaway script or a leaked credential can spend (each turn up to 8 model calls).
   */
  userTurnsPerHour: intInRange(60, 0, 100_000, 'turns per hour'),
  /** Auto-review (docs/auto-review.md): the webhook function URL, its queue and worker, the AutoReview table. */
  autoReview: flagDefaulting(true),
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
 * Validates raw context values (what `node.tryGetContext` returns for each key), then how they fit together.
 * @throws ContextError naming every invalid key and why
 */
export function parseContext(raw: Partial<Record<ContextKey, unknown>>): StackContext {
  const result = contextSchema.safeParse(raw);
  if (!result.success) {
    throw new ContextError(
      result.error.issues.map((issue) => {
        const key = issue.path.join('.') || '(context)';
        return `${key}: ${issue.message} (got ${JSON.stringify(raw[issue.path[0] as ContextKey])})`;
      }),
    );
  }
  const problems = regionProblems(result.data);
  if (problems.length > 0) throw new ContextError(problems);
  return result.data;
}

/** Whether the Region has AgentCore Identity and the model can be called from it. */
function regionProblems(context: StackContext): string[] {
  const { region, modelId } = context;
  const problems: string[] = [];
  const skip = 'if AWS has added it since, deploy with -c skipRegionChecks=true';
  if (!context.skipRegionChecks && !AGENTCORE_IDENTITY_REGIONS.has(region)) {
    problems.push(
      `region: AgentCore Identity is not available in ${region} (the GitHub sign-in needs it); choose one of ` +
        `${[...AGENTCORE_IDENTITY_REGIONS].sort().join(', ')}, or ${skip}`,
    );
  }
  const fits = profileSourceRegionFits(modelId, region);
  if (!context.skipRegionChecks && fits === false) {
    const prefix = modelId.split('.')[0];
    problems.push(
      `modelId: ${modelId} is a "${prefix}." inference profile, which cannot be called from ${region} (outside its ` +
        `geography); use the profile for ${region}'s geography (e.g. "global.${modelId.slice(
          (prefix ?? '').length + 1,
        )}"), deploy to a Region in that geography, or ${skip}`,
    );
  }
  try {
    // Only the destination-Region lookup can fail here; the ARNs themselves are built with the stack's values.
    modelAccess({
      modelId,
      region,
      account: '000000000000',
      partition: 'aws',
      destinationRegions: context.modelDestinationRegions,
    });
  } catch (error) {
    if (!(error instanceof ModelAccessError)) throw error;
    problems.push(`modelDestinationRegions: ${error.message}`);
  }
  return problems;
}

/** Context keys an operator writes: plain identifiers. CDK's own (`@aws-cdk/...`, `aws:cdk:...`) have separators. */
const OPERATOR_KEY = /^[A-Za-z][A-Za-z0-9]*$/;

/**
 * Context keys this app does not know, each with the closest known key (a typo such as `githubClientid` would
 * otherwise be ignored and the deploy would go ahead with the default).
 */
export function unknownKeyProblems(keys: readonly string[]): string[] {
  const known = new Set<string>(CONTEXT_KEYS);
  return keys
    .filter((key) => OPERATOR_KEY.test(key) && !known.has(key))
    .map((key) => {
      const suggestion = closestKey(key);
      return `${key}: is not a context key of this app${suggestion ? ` (did you mean ${suggestion}?)` : ''}; the keys are listed in docs/deployment.md`;
    });
}

function closestKey(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of CONTEXT_KEYS) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

/** Levenshtein distance: O(a·b) on two short keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Reads every known key through `tryGetContext` (cdk.json, `-c`, or a test's App context) and validates it.
 * @param allKeys every key in the context, to reject the ones this app does not know
 * @throws ContextError naming every invalid or unknown key
 */
export function readContext(
  getContext: (key: string) => unknown,
  allKeys: readonly string[] = [],
): StackContext {
  const problems = unknownKeyProblems(allKeys);
  const raw: Partial<Record<ContextKey, unknown>> = {};
  for (const key of CONTEXT_KEYS) {
    const value = getContext(key);
    if (value !== undefined) raw[key] = value;
  }
  let context: StackContext | undefined;
  try {
    context = parseContext(raw);
  } catch (error) {
    if (!(error instanceof ContextError)) throw error;
    problems.push(...error.problems);
  }
  if (!context || problems.length > 0) throw new ContextError(problems);
  return context;
}
