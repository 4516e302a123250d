import type { Config } from '../config';
import type { ReviewSettings } from './ports';

/** The review settings from the environment: one reading for the chat function and the auto-review worker. */
export function reviewSettingsFromConfig(
  config: Pick<
    Config,
    | 'REVIEW_PATH_PREFIXES'
    | 'PLAN_TTL_HOURS'
    | 'REVIEW_LEASE_SECONDS'
    | 'REVIEW_CHUNK_TOKEN_BUDGET'
    | 'MAX_OUTPUT_TOKENS'
    | 'REVIEW_SEVERITY_THRESHOLD'
    | 'SELF_CHECK'
  >,
): ReviewSettings {
  return {
    pathPrefixes: config.REVIEW_PATH_PREFIXES,
    planTtlHours: config.PLAN_TTL_HOURS,
    leaseSeconds: config.REVIEW_LEASE_SECONDS,
    chunkTokenBudget: config.REVIEW_CHUNK_TOKEN_BUDGET,
    maxOutputTokens: config.MAX_OUTPUT_TOKENS,
    severityThreshold: config.REVIEW_SEVERITY_THRESHOLD,
    selfCheck: config.SELF_CHECK === 'on',
  };
}
