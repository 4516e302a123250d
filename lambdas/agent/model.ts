import type { ErrorCode } from './events';

/**
 * The model port: what the agent needs from a chat model, in Bedrock Converse's shapes (so the adapter stays thin)
 * but without importing the SDK. Messages are stored in this shape too (one item per message).
 */
export type ContentBlock =
  | { text: string }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | {
      toolResult: {
        toolUseId: string;
        status: 'success' | 'error';
        content: Array<{ text: string } | { json: unknown }>;
      };
    };

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

/** A tool as the model sees it: name, description and the JSON Schema of its input. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface ModelRequest {
  system: string;
  messages: ChatMessage[];
  tools?: readonly ToolSpec[];
  maxTokens: number;
  /** Sampling temperature; the adapter's default when absent. */
  temperature?: number;
  /**
   * The answer's text must be JSON matching this schema. An adapter whose model supports it constrains decoding to
   * the schema (and says so on the `stop` event); otherwise it is ignored, and only the prompt asks for the JSON.
   */
  responseFormat?: JsonResponseFormat;
  signal?: AbortSignal;
}

/** A JSON answer format: a name (letters, digits, `_`, `-`), what it is, and its JSON Schema (draft 2020-12). */
export interface JsonResponseFormat {
  name: string;
  description?: string;
  schema: Record<string, unknown>;
}

export type StopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | 'other';

/**
 * Tokens one model call was billed for (Bedrock's `metadata.usage`). The cache counts are present when the model read
 * from or wrote to a prompt cache; `inputTokens` excludes them.
 */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** What a streaming model call yields, in order: text deltas and whole tool uses, then exactly one `stop`. */
export type ModelStreamEvent =
  | { type: 'text'; delta: string }
  /** `inputError`: the streamed input was not valid JSON (`input` is then `{}`); the tool must not run. */
  | { type: 'tool_use'; toolUseId: string; name: string; input: unknown; inputError?: string }
  /** `constrained`: the answer was decoded under the request's {@link JsonResponseFormat} schema. */
  | { type: 'stop'; reason: StopReason; usage?: TokenUsage; constrained?: true };

/** A chat model that streams. The Bedrock adapter implements it; so could any other provider. */
export interface ModelPort {
  /**
   * Streams one model turn.
   * @throws ModelError with a stable code when the call fails (after the adapter's own retries)
   */
  stream(request: ModelRequest): AsyncIterable<ModelStreamEvent>;
}

/** A model call failed; `code` is what the client sees in the `error` event, `message` is for humans. */
export class ModelError extends Error {
  constructor(
    readonly code: Extract<
      ErrorCode,
      | 'model_throttled'
      | 'model_access_denied'
      | 'model_validation'
      | 'model_not_ready'
      | 'model_unavailable'
      | 'model_error'
      | 'dependency_timeout'
    >,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelError';
  }
}

/**
 * Runs one model turn without tools and returns its whole text (for structured-output calls such as review plans).
 * @throws ModelError from the port
 */
export async function completeText(model: ModelPort, request: Omit<ModelRequest, 'tools'>): Promise<string> {
  let text = '';
  for await (const event of model.stream(request)) {
    if (event.type === 'text') text += event.delta;
  }
  return text;
}

/**
 * The same model, handing each finished call's token usage to `onUsage` (for per-turn accounting); the events pass
 * through unchanged.
 */
export function observeUsage(model: ModelPort, onUsage: (usage: TokenUsage) => void): ModelPort {
  return {
    async *stream(request) {
      for await (const event of model.stream(request)) {
        if (event.type === 'stop' && event.usage) onUsage(event.usage);
        yield event;
      }
    },
  };
}
