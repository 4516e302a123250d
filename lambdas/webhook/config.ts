import * as z from 'zod';
import { ConfigError } from '../config';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_METRICS_SERVICE } from '../metrics/names';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The webhook receiver's environment, validated once at cold start. */
export const webhookConfigSchema = z
  .object({
    AWS_REGION: z.string().min(1, 'must name the AWS region, e.g. ap-southeast-2'),
    AUTO_REVIEW_TABLE: z.string().min(3).max(255),
    /** The auto-review queue's URL. */
    AUTO_REVIEW_QUEUE_URL: z.url({ protocol: /^https?$/ }),
    /** The stack-generated webhook secret in Secrets Manager. */
    WEBHOOK_SECRET_ARN: z.string().min(1).optional(),
    /** Local runs only: the secret itself instead of an ARN (the stack never sets it). */
    WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Bodies above this are refused with 413 (GitHub caps payloads at 25 MB; pull_request ones are far smaller). */
    WEBHOOK_MAX_BODY_BYTES: positiveInt(1024 * 1024),
    /** The whole answer, after the size check, within this (GitHub waits 10 s). */
    WEBHOOK_DEADLINE_MS: positiveInt(8_000),
    /** Minutes the secret is used before it is read again (a rotated secret is picked up within this). */
    WEBHOOK_SECRET_TTL_SECONDS: positiveInt(300),
    DEPENDENCY_CONNECT_TIMEOUT_MS: positiveInt(1_000),
    DEPENDENCY_REQUEST_TIMEOUT_MS: positiveInt(2_000),
    LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
    METRICS: z.enum(['emf', 'off']).default('off'),
    METRICS_NAMESPACE: z.string().min(1).max(255).default(DEFAULT_METRICS_NAMESPACE),
    METRICS_SERVICE: z.string().min(1).max(128).default(DEFAULT_METRICS_SERVICE),
  })
  .refine((env) => env.WEBHOOK_SECRET_ARN !== undefined || env.WEBHOOK_SECRET !== undefined, {
    path: ['WEBHOOK_SECRET_ARN'],
    message: 'is missing (or WEBHOOK_SECRET, for local runs)',
  });

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

/**
 * Parses the receiver's environment.
 * @throws ConfigError naming each missing or invalid variable (never echoing a value)
 */
export function loadWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const result = webhookConfigSchema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      return `${name}: ${env[String(issue.path[0])] === undefined ? 'is missing' : issue.message}`;
    }),
  );
}
