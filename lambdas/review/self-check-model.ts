import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { createBedrockModel, type RetryPolicy } from '../agent/bedrock';
import type { ModelPort } from '../agent/model';
import type { Config } from '../config';
import type { Logger } from '../log';
import { meterModel } from '../metrics/model-meter';
import type { MetricsPort } from '../metrics/port';
import { priceFor } from '../metrics/prices';

/** What the self-check's model is built from: the review model it defaults to, and how to reach Bedrock. */
export interface SelfCheckModelContext {
  /** The review model (already metered): the self-check uses it unless SELF_CHECK_MODEL_ID names another model. */
  model: ModelPort;
  /** A test or local run supplied `model`: it serves the self-check too. */
  modelOverridden: boolean;
  bedrock: () => Pick<BedrockRuntimeClient, 'send'>;
  retry?: Partial<RetryPolicy>;
  logger: Logger;
  metrics: MetricsPort | undefined;
}

/**
 * The review self-check's model: SELF_CHECK_MODEL_ID's own Bedrock adapter (metered at its own price) when it names
 * another model, else the review model itself. Shared by the chat function and the auto-review worker.
 */
export function createSelfCheckModel(
  config: Pick<
    Config,
    'SELF_CHECK_MODEL_ID' | 'MODEL_ID' | 'MODEL_IDLE_TIMEOUT_MS' | 'PROMPT_CACHE' | 'MODEL_PRICES'
  >,
  context: SelfCheckModelContext,
): ModelPort {
  const modelId = config.SELF_CHECK_MODEL_ID;
  if (modelId === undefined || modelId === config.MODEL_ID || context.modelOverridden) return context.model;
  const bare = createBedrockModel({
    client: context.bedrock(),
    modelId,
    idleTimeoutMs: config.MODEL_IDLE_TIMEOUT_MS,
    promptCache: config.PROMPT_CACHE,
    retry: context.retry,
    logger: context.logger,
  });
  return context.metrics ? meterModel(bare, context.metrics, priceFor(modelId, config.MODEL_PRICES)) : bare;
}
