import * as z from 'zod';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_METRICS_SERVICE } from './metrics/names';
import { modelPricesSchema } from './metrics/prices';
import { SEVERITIES } from './review/findings';

/** Variables whose values must never appear in logs, events or error messages. */
export const SECRET_VARIABLES = ['GITHUB_TOKEN', 'WEBHOOK_SECRET'] as const;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A comma-separated list; unset means the default, an empty string means "none". */
const commaList = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((value) =>
      value === undefined
        ? fallback
        : value
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item.length > 0),
    );

/** MODEL_PRICES: a JSON object of model id to prices; unset or empty means the built-in table only. */
const modelPricesJson = z
  .string()
  .optional()
  .transform((text, context) => {
    if (text === undefined || text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({
        code: 'custom',
        message:
          'must be a JSON object such as {"<model id>":{"input":3,"output":15}} (USD per million tokens)',
      });
      return z.NEVER;
    }
  })
  .pipe(modelPricesSchema);

/** The chat function's environment, validated once at cold start. */
export const configSchema = z.object({
  AWS_REGION: z.string().min(1, 'must name the AWS region, e.g. ap-southeast-2'),
  MODEL_ID: z.string().min(1, 'must name a Bedrock model or inference profile id'),
  SESSIONS_TABLE: z.string().min(3).max(255),
  PLANS_TABLE: z.string().min(3).max(255),
  /** The auto-review table (subscriptions, webhook deliveries seen); unset: auto-review is off in this deployment. */
  AUTO_REVIEW_TABLE: z.string().min(3).max(255).optional(),
  /** The webhook secret in Secrets Manager (its ARN): the chat function signs up repository webhooks with it. */
  WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
  /** Where GitHub sends deliveries (the webhook function's URL, POST /webhook locally). */
  WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Local runs only: the webhook secret itself instead of WEBHOOK_SECRET_ARN (the stack never sets it). */
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  WORKLOAD_IDENTITY_NAME: z.string().min(1).default('github-coding-agent'),
  OAUTH_PROVIDER_NAME: z.string().min(1).default('github-provider'),
  OAUTH_SCOPES: commaList(['repo', 'read:user']),
  OAUTH_RETURN_URLS: commaList(['http://localhost:8976/oauth/callback']).pipe(
    z.array(z.url({ protocol: /^https?$/ })).min(1, 'needs at least one return URL'),
  ),
  GITHUB_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
  /** Which GitHub token port serves this process: AgentCore 3LO in AWS; a static token or device flow locally. */
  IDENTITY_PROVIDER: z.enum(['agentcore', 'static', 'device']).default('agentcore'),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  REVIEW_PATH_PREFIXES: commaList(['agent-tasks/']),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
  MAX_TOOL_ITERATIONS: positiveInt(8),
  MAX_OUTPUT_TOKENS: positiveInt(4096),
  HISTORY_TOKEN_BUDGET: positiveInt(20_000),
  SESSION_TTL_DAYS: positiveInt(30),
  PLAN_TTL_HOURS: positiveInt(24),
  /** Seconds a running review counts as alive after its last progress; after that it may be restarted or cancelled. */
  REVIEW_LEASE_SECONDS: positiveInt(300),
  /** How long a GitHub write withheld after untrusted text waits for the user's approval. */
  WRITE_APPROVAL_TTL_MINUTES: positiveInt(60),
  REVIEW_CHUNK_TOKEN_BUDGET: positiveInt(12_000),
  /** Findings less severe than this are not posted, only counted; a repository's `severity_threshold` overrides it. */
  REVIEW_SEVERITY_THRESHOLD: z
    .enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` })
    .default('minor'),
  /** A second model pass drops findings their diff lines do not support (fails open). */
  SELF_CHECK: z.enum(['on', 'off']).default('on'),
  /** The model of the self-check pass (a smaller one will do); unset: MODEL_ID. */
  SELF_CHECK_MODEL_ID: z.string().min(1, 'must name a Bedrock model or inference profile id').optional(),
  /** Every AWS SDK client: the TCP/TLS connection must be up within this long. */
  DEPENDENCY_CONNECT_TIMEOUT_MS: positiveInt(3_000),
  /** One DynamoDB or AgentCore Identity request, per attempt (the SDK makes up to 3 attempts). */
  DEPENDENCY_REQUEST_TIMEOUT_MS: positiveInt(5_000),
  /** Bedrock's stream may be silent (before its first byte, or between events) this long; long answers still stream. */
  MODEL_IDLE_TIMEOUT_MS: positiveInt(30_000),
  /** One GitHub request, body included (GitHub itself gives up on a REST request after 10 s). */
  GITHUB_REQUEST_TIMEOUT_MS: positiveInt(15_000),
  /**
   * Chat turns a user may start per clock hour (approve/cancel not counted); 0: no bound. Off by default here (local
   * runs and tests); the stack sets it from the `userTurnsPerHour` context key.
   */
  USER_TURNS_PER_HOUR: z.coerce.number().int().min(0).max(100_000).default(0),
  /**
   * Model tokens (input, cached and output) a user's turns may use per clock hour; 0: no bound. A turn is refused once
   * the hour's tokens are spent; the stack sets it from the `userTokensPerHour` context key.
   */
  USER_TOKENS_PER_HOUR: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  /** `emf`: CloudWatch embedded-metric-format lines on stdout (the stack sets it); `off` for local runs and tests. */
  METRICS: z.enum(['emf', 'off']).default('off'),
  METRICS_NAMESPACE: z
    .string()
    .regex(/^(?!AWS\/)[A-Za-z0-9./_#:-]{1,255}$/, 'must be a CloudWatch namespace (not starting with AWS/)')
    .default(DEFAULT_METRICS_NAMESPACE),
  /** The `service` dimension of every metric: one value per deployment (the stack passes its name). */
  METRICS_SERVICE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, "may contain only letters, digits, '.', '-' and '_' (at most 128)")
    .default(DEFAULT_METRICS_SERVICE),
  /** Bedrock prompt-cache checkpoints on the system prompt and tool specs: `auto` = on for Claude models that cache. */
  PROMPT_CACHE: z.enum(['auto', 'on', 'off']).default('auto'),
  /**
   * Review plans and findings decoded under their JSON Schema (Bedrock structured output): `auto` = on for the models
   * known to support it; zod validation and one repair request stay as the fallback.
   */
  STRUCTURED_OUTPUT: z.enum(['auto', 'on', 'off']).default('auto'),
  /** Prices for the estimated-cost metric, over the built-in table (lambdas/metrics/prices.ts). */
  MODEL_PRICES: modelPricesJson,
});

export type Config = z.infer<typeof configSchema>;

/** Thrown at cold start when the environment is unusable; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment into a typed {@link Config}.
 * @throws ConfigError naming each missing or invalid variable (never echoing a secret's value).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) {
    if (result.data.IDENTITY_PROVIDER === 'static' && !result.data.GITHUB_TOKEN) {
      throw new ConfigError(['GITHUB_TOKEN: required when IDENTITY_PROVIDER is "static"']);
    }
    if (result.data.IDENTITY_PROVIDER === 'device' && !result.data.GITHUB_OAUTH_CLIENT_ID) {
      throw new ConfigError(['GITHUB_OAUTH_CLIENT_ID: required when IDENTITY_PROVIDER is "device"']);
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const received = env[String(issue.path[0])];
    const detail = received === undefined ? 'is missing' : issue.message;
    return `${name}: ${detail}`;
  });
  throw new ConfigError(problems);
}

/** A copy of the config safe to log: secret values replaced by "[REDACTED]". */
export function redactConfig(config: Config): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  for (const name of SECRET_VARIABLES) {
    if (copy[name] !== undefined) copy[name] = '[REDACTED]';
  }
  return copy;
}
