import * as z from 'zod';
import type { TokenUsage } from '../agent/model';

/** US dollars per million tokens. Cache prices default to the input price when a model has none. */
export const modelPriceSchema = z.strictObject({
  input: z.number().nonnegative('must be a price in USD per million tokens (0 or more)'),
  output: z.number().nonnegative('must be a price in USD per million tokens (0 or more)'),
  cacheRead: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});

export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** MODEL_PRICES: `{"<model or profile id>": {"input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75}}`. */
export const modelPricesSchema = z.record(z.string().min(1, 'a model id may not be empty'), modelPriceSchema);

export type ModelPrices = z.infer<typeof modelPricesSchema>;

/**
 * On-demand list prices of the models this project is used with, for `global.` cross-Region inference profiles
 * (Amazon Bedrock pricing page, at the time of writing; docs/operations.md). Cache reads cost 0.1x the input price,
 * cache writes (5-minute cache) 1.25x. Override or extend with MODEL_PRICES.
 */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'anthropic.claude-sonnet-4-6': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'anthropic.claude-sonnet-4-5-20250929-v1:0': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'anthropic.claude-haiku-4-5-20251001-v1:0': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'anthropic.claude-opus-4-5-20251101-v1:0': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
};

/** Geographic profiles (`au.`, `us.`, `eu.`...) and in-Region calls of the models above cost 10 % more than `global.`. */
export const REGIONAL_PREMIUM = 1.1;

const PROFILE_PREFIXES = new Set(['global', 'us', 'us-gov', 'eu', 'apac', 'au', 'jp', 'ca']);

/**
 * The price of a model id, inference profile id or profile ARN: an exact entry of `overrides` first, then the
 * default table for the foundation model behind the profile (with {@link REGIONAL_PREMIUM} unless it is `global.`).
 * @returns undefined when the model has no known price (no cost is then estimated)
 */
export function priceFor(modelId: string, overrides: ModelPrices = {}): ModelPrice | undefined {
  // A profile ARN ends in `inference-profile/<id>` or `application-inference-profile/<id>`.
  const id = modelId.startsWith('arn:') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId;
  const exact = overrides[modelId] ?? overrides[id];
  if (exact) return exact;
  const dot = id.indexOf('.');
  const prefix = dot > 0 ? id.slice(0, dot) : '';
  const profile = PROFILE_PREFIXES.has(prefix);
  const base = DEFAULT_MODEL_PRICES[profile ? id.slice(dot + 1) : id];
  if (!base) return undefined;
  if (prefix === 'global') return base;
  const scale = (price: number | undefined) =>
    price === undefined ? undefined : Math.round(price * REGIONAL_PREMIUM * 1e6) / 1e6;
  return {
    input: scale(base.input) ?? 0,
    output: scale(base.output) ?? 0,
    ...(base.cacheRead === undefined ? {} : { cacheRead: scale(base.cacheRead) }),
    ...(base.cacheWrite === undefined ? {} : { cacheWrite: scale(base.cacheWrite) }),
  };
}

/** What one call's tokens cost in US dollars at `price`. */
export function estimateCostUsd(usage: TokenUsage, price: ModelPrice): number {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      cacheRead * (price.cacheRead ?? price.input) +
      cacheWrite * (price.cacheWrite ?? price.input)) /
    1_000_000
  );
}
