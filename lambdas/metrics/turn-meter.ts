import type { ChatEvent, Emit } from '../agent/events';
import type { ModelPort, ModelStreamEvent, TokenUsage } from '../agent/model';
import type { ToolSet } from '../agent/tool-specs';
import type { MetricsPort, ModelCallSummary, TurnOutcomeCode } from './port';
import { estimateCostUsd, type ModelPrice } from './prices';

/** What {@link meterTurn} needs to see of a turn's dependencies: the model it calls and the tools it offers. */
export interface MeteredTurnDeps {
  model: ModelPort;
  tools: ToolSet;
  /**
   * Present: `model` is not metered per call, and the turn's line carries its calls' tokens (and their cost at `price`,
   * when the model has one) instead.
   */
  meterModelCalls?: { price?: ModelPrice };
}

/**
 * Runs one chat turn and reports it to `metrics`, measured from the outside: from the events it streams (what the
 * client sees: first token, error codes, consent links, review progress) and from the calls it makes to the model.
 * The turn's own code knows nothing of metrics. A turn that throws is reported as `internal_error` and rethrown.
 */
export async function meterTurn<D extends MeteredTurnDeps, I extends { emit: Emit }>(
  metrics: MetricsPort,
  run: (deps: D, input: I) => Promise<void>,
  deps: D,
  input: I,
  now: () => number = () => performance.now(),
): Promise<void> {
  const observer = observeTurn(metrics, deps.tools.byName, now);
  let modelCalls = 0;
  const usage = deps.meterModelCalls && modelUsageCounter(deps.meterModelCalls.price);
  const model: ModelPort = {
    stream(request) {
      modelCalls++;
      return usage ? usage.tap(deps.model.stream(request)) : deps.model.stream(request);
    },
  };
  const emit: Emit = (event) => {
    observer.see(event);
    input.emit(event);
  };
  try {
    await run({ ...deps, model }, { ...input, emit });
  } catch (error) {
    observer.threw();
    throw error;
  } finally {
    const summary = observer.summary(modelCalls);
    metrics.turnCompleted(usage && modelCalls > 0 ? { ...summary, modelUsage: usage.total() } : summary);
  }
}

/** Sums the tokens (and cost) of the model calls it taps, from each call's `stop` event. */
function modelUsageCounter(price: ModelPrice | undefined) {
  const total: Required<TokenUsage> = {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
  };
  let cost = 0;
  return {
    async *tap(events: AsyncIterable<ModelStreamEvent>): AsyncGenerator<ModelStreamEvent> {
      for await (const event of events) {
        if (event.type === 'stop' && event.usage) {
          total.inputTokens += event.usage.inputTokens;
          total.outputTokens += event.usage.outputTokens;
          total.cacheReadInputTokens += event.usage.cacheReadInputTokens ?? 0;
          total.cacheWriteInputTokens += event.usage.cacheWriteInputTokens ?? 0;
          if (price) cost += estimateCostUsd(event.usage, price);
        }
        yield event;
      }
    },
    total: (): ModelCallSummary => ({ ...total, ...(price ? { estimatedCostUsd: cost } : {}) }),
  };
}

/**
 * Tallies one turn's events; review and consent events are reported as they happen, except a posted review, which
 * the review command reports with its figures (lambdas/review/commands.ts).
 */
function observeTurn(metrics: MetricsPort, knownTools: ReadonlyMap<string, unknown>, now: () => number) {
  const startedAt = now();
  const failures: Record<string, number> = {};
  // A withheld write answers the model with a failed result, but nothing failed: the user is asked to approve it.
  const withheld = new Map<string, number>();
  const state = {
    outcome: undefined as TurnOutcomeCode | undefined,
    firstTokenMs: undefined as number | undefined,
    consentAsked: false,
    toolCalls: 0,
  };

  const see = (event: ChatEvent) => {
    switch (event.type) {
      case 'token':
        state.firstTokenMs ??= now() - startedAt;
        return;
      case 'tool_use':
        state.toolCalls++;
        return;
      case 'write_pending':
        withheld.set(event.tool_name, (withheld.get(event.tool_name) ?? 0) + 1);
        return;
      case 'tool_result': {
        if (event.ok) return;
        const pending = withheld.get(event.tool_name) ?? 0;
        if (pending > 0) {
          withheld.set(event.tool_name, pending - 1);
          return;
        }
        // The model names tools; only the turn's own tool names may become a dimension value.
        const name = knownTools.has(event.tool_name) ? event.tool_name : 'unknown';
        failures[name] = (failures[name] ?? 0) + 1;
        return;
      }
      case 'oauth_url':
        state.consentAsked = true;
        metrics.consent('started');
        return;
      case 'plan':
        metrics.review('created');
        return;
      case 'status':
        if (event.status === 'approved') {
          metrics.review('approved');
        } else if (event.status === 'cancelled') {
          metrics.review('cancelled');
        }
        return;
      case 'error':
        state.outcome ??= event.code;
        if (event.code === 'plan_stale') metrics.review('stale');
        else if (event.code === 'plan_expired') metrics.review('expired');
        else if (event.code === 'review_failed') metrics.review('failed');
        return;
      default:
        return;
    }
  };

  return {
    see,
    /** The turn threw: the handler answers with `internal_error` (unless an error event came first). */
    threw: () => {
      state.outcome ??= 'internal_error';
    },
    summary: (modelCalls: number) => ({
      outcome: state.outcome ?? (state.consentAsked ? 'consent_required' : 'completed'),
      ...(state.firstTokenMs === undefined ? {} : { firstTokenMs: Math.round(state.firstTokenMs) }),
      durationMs: Math.round(now() - startedAt),
      modelCalls,
      toolCalls: state.toolCalls,
      toolFailuresByTool: failures,
    }),
  };
}
