import { type Config, loadConfig } from '../../lambdas/config';
import { createAgentTable, createAutoReviewTable, type LocalDynamo, startDynalite } from './dynalite';

/** dynalite holding the chat function's tables (sessions, plans, auto-review), named as {@link testConfig} names them. */
export async function startAgentDynamo(): Promise<LocalDynamo> {
  const dynamo = await startDynalite();
  await createAgentTable(dynamo.client, 'sessions');
  await createAgentTable(dynamo.client, 'plans');
  await createAutoReviewTable(dynamo.client, 'auto-review');
  return dynamo;
}

/**
 * The chat function's config for handler tests: the local tables, a static GitHub token that no test sends anywhere,
 * silent logs. `overrides` are environment variables, validated like the real ones.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    AWS_REGION: 'ap-southeast-2',
    MODEL_ID: 'test-model',
    SESSIONS_TABLE: 'sessions',
    PLANS_TABLE: 'plans',
    AUTO_REVIEW_TABLE: 'auto-review',
    IDENTITY_PROVIDER: 'static',
    GITHUB_TOKEN: 'ghp_unused_in_these_tests',
    LOG_LEVEL: 'SILENT',
    ...overrides,
  });
}
