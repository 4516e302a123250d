import type { ModelPort, ModelStreamEvent } from '../agent/model';
import type { MetricsPort } from './port';
import { estimateCostUsd, type ModelPrice } from './prices';

/**
 * Wraps the model so every finished call, whoever makes it (the chat loop, the review planner, the review), reports
 * its tokens and estimated cost. The events pass through unchanged.
 * @param price absent: tokens are counted, no cost is estimated
 */
export function meterModel(model: ModelPort, metrics: MetricsPort, price?: ModelPrice): ModelPort {
  return {
    async *stream(request): AsyncGenerator<ModelStreamEvent> {
      for await (const event of model.stream(request)) {
        if (event.type === 'stop') {
          const usage = event.usage ?? { inputTokens: 0, outputTokens: 0 };
          metrics.modelCall({
            ...usage,
            ...(price ? { estimatedCostUsd: estimateCostUsd(usage, price) } : {}),
          });
        }
        yield event;
      }
    },
  };
}
