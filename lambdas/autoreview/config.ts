import * as z from 'zod';
import { ConfigError, configSchema } from '../config';

/**
 * The worker's environment: the chat function's (model, identity, GitHub, review settings, timeouts, metrics), except
 * that it keeps no chat sessions, plus the auto-review table and the queue's receive limit.
 */
export const workerConfigSchema = configSchema.extend({
  SESSIONS_TABLE: z.string().min(3).max(255).optional(),
  AUTO_REVIEW_TABLE: z.string().min(3).max(255),
  /** The queue's maxReceiveCount (the stack sets both from one value). */
  AUTO_REVIEW_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(3),
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/**
 * Parses the worker's environment.
 * @throws ConfigError naming each missing or invalid variable (never echoing a value)
 */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const result = workerConfigSchema.safeParse(env);
  if (result.success) {
    if (result.data.IDENTITY_PROVIDER === 'static' && !result.data.GITHUB_TOKEN) {
      throw new ConfigError(['GITHUB_TOKEN: required when IDENTITY_PROVIDER is "static"']);
    }
    return result.data;
  }
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      return `${name}: ${env[String(issue.path[0])] === undefined ? 'is missing' : issue.message}`;
    }),
  );
}
