import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { runAgentTurn } from '../lambdas/agent/loop';
import type { TokenUsage } from '../lambdas/agent/model';
import { createAppDeps } from '../lambdas/chat/wiring';
import { loadConfig } from '../lambdas/config';
import { type MetricsPort, noopMetrics } from '../lambdas/metrics/port';
import { callTool, type Responder, say, startBedrockStandin } from '../test/support/bedrock-standin';

/** Anthropic's prompt-cache multipliers on Bedrock (5-minute cache): a read costs 0.1× an input token, a write 1.25×. */
const CACHE_READ_FACTOR = 0.1;
const CACHE_WRITE_FACTOR = 1.25;
const CALLS_PER_TURN = 5;

export interface PromptCacheRow {
  promptCache: 'off' | 'auto';
  /** `first`: the cache is empty; `next`: a later turn within the cache's 5 minutes. */
  turn: 'first' | 'next';
  modelCalls: number;
  inputTokens: number;
  cacheWriteInputTokens: number;
  cacheReadInputTokens: number;
  /** Input tokens at the input price: uncached + reads × 0.1 + writes × 1.25. */
  billedInputTokens: number;
}

/**
 * (e) Input tokens billed per turn with and without prompt caching, for a turn of five model calls (four tool calls,
 * then the answer). The chat function's own wiring (system prompt, tool specs, Bedrock adapter, metered model) and
 * agent loop run against the Bedrock stand-in, whose usage is estimated at 4 characters a token and plays Claude's
 * prompt cache (1,024-token minimum per checkpoint). The token counts come from the model-call metric.
 */
export async function measurePromptCache(): Promise<PromptCacheRow[]> {
  const rows: PromptCacheRow[] = [];
  for (const promptCache of ['off', 'auto'] as const) {
    // Four calls of a tool, then the answer: the loop makes five model calls.
    const responder: Responder = (body) => {
      const results = body.messages
        .flatMap((message) => message.content)
        .filter((block) => 'toolResult' in block);
      return results.length < CALLS_PER_TURN - 1 ? callTool('get_current_time', {}) : say('It is late.');
    };
    const standin = await startBedrockStandin({ responder, usage: 'estimated' });
    const bedrock = new BedrockRuntimeClient({
      endpoint: standin.url,
      region: 'ap-southeast-2',
      maxAttempts: 1,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    try {
      const config = loadConfig({
        AWS_REGION: 'ap-southeast-2',
        MODEL_ID: 'au.anthropic.claude-sonnet-4-6',
        SESSIONS_TABLE: 'bench',
        PLANS_TABLE: 'bench',
        IDENTITY_PROVIDER: 'static',
        GITHUB_TOKEN: 'bench',
        LOG_LEVEL: 'SILENT',
        PROMPT_CACHE: promptCache,
      });
      let calls: TokenUsage[] = [];
      const metrics: MetricsPort = { ...noopMetrics, modelCall: (usage) => void calls.push(usage) };
      const { turn } = createAppDeps(config, { bedrock, metrics });
      for (const which of ['first', 'next'] as const) {
        calls = [];
        const scope = { userId: 'bench', sessionId: `bench-${which}`, emit: () => undefined };
        await runAgentTurn(
          { model: turn.model, limits: { ...turn.limits, reserveMs: 0 } },
          {
            system: turn.systemPrompt,
            history: [],
            userMessage: { role: 'user', content: [{ text: 'What time is it? Check it a few times.' }] },
            tools: turn.tools,
            context: { userId: scope.userId, sessionId: scope.sessionId, ...turn.bindTurn?.(scope) },
            emit: scope.emit,
            remainingMs: () => 60_000,
          },
        );
        const sum = (pick: (usage: TokenUsage) => number | undefined) =>
          calls.reduce((total, usage) => total + (pick(usage) ?? 0), 0);
        const inputTokens = sum((usage) => usage.inputTokens);
        const cacheReadInputTokens = sum((usage) => usage.cacheReadInputTokens);
        const cacheWriteInputTokens = sum((usage) => usage.cacheWriteInputTokens);
        rows.push({
          promptCache,
          turn: which,
          modelCalls: calls.length,
          inputTokens,
          cacheWriteInputTokens,
          cacheReadInputTokens,
          billedInputTokens:
            inputTokens +
            cacheReadInputTokens * CACHE_READ_FACTOR +
            cacheWriteInputTokens * CACHE_WRITE_FACTOR,
        });
      }
    } finally {
      bedrock.destroy();
      await standin.close();
    }
  }
  return rows;
}
