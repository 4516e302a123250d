import type { Tool } from './agent/tool';

/**
 * A dependency (DynamoDB, AgentCore Identity, Bedrock, GitHub) did not answer within its configured timeout. The
 * message names the dependency and the bound, never a URL, key or token.
 */
export class DependencyTimeoutError extends Error {
  constructor(
    readonly dependency: string,
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} did not answer within ${formatSeconds(timeoutMs)}`, options);
    this.name = 'DependencyTimeoutError';
  }
}

/**
 * Whether `error` (or an error it wraps) is a dependency that timed out: a {@link DependencyTimeoutError}, or the
 * `TimeoutError` an AWS SDK request handler raises at its connection or request timeout. An `AbortError` is not: an
 * abort is the turn's own deadline or a client that left, and the SDK wraps those reasons (even a deadline's
 * `TimeoutError`) in one.
 */
export function isDependencyTimeout(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof DependencyTimeoutError) return true;
    if (current.name === 'AbortError') return false;
    if (current.name === 'TimeoutError') return true;
    current = current.cause;
  }
  return false;
}

/**
 * Wraps a tool so that a dependency timeout inside it stops the whole turn (through `context.stopTurn`) instead of
 * letting the model call the same hung service again: the tool still fails normally, so its result is recorded.
 */
export function stopTurnOnTimeout(tool: Tool): Tool {
  return {
    ...tool,
    run: async (input, context) => {
      try {
        return await tool.run(input, context);
      } catch (error) {
        if (isDependencyTimeout(error)) context.stopTurn?.(error);
        throw error;
      }
    },
  };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
