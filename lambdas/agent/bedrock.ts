import {
  type ContentBlock as BedrockContentBlock,
  type Message as BedrockMessage,
  type BedrockRuntimeClient,
  type Tool as BedrockTool,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
  type OutputConfig,
  type SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import type { DocumentType } from '@smithy/types';
import { followAbort } from '../abort';
import type { Logger } from '../log';
import { DependencyTimeoutError, isDependencyTimeout } from '../timeouts';
import { toBedrockJsonSchema } from './bedrock-schema';
import {
  type ChatMessage,
  type JsonResponseFormat,
  ModelError,
  type ModelPort,
  type ModelRequest,
  type ModelStreamEvent,
  type StopReason,
  type TokenUsage,
  type ToolSpec,
} from './model';

/** How the adapter retries throttling and transient unavailability before any output was streamed. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 4). */
  maxAttempts: number;
  /** The first backoff; each later one doubles, with full jitter (default 250 ms). */
  baseDelayMs: number;
  /** The longest single wait (default 4 s). */
  maxDelayMs: number;
}

export interface BedrockModelOptions {
  /** Only `send` is used; build the client with `maxAttempts: 1` so retries are this adapter's (see {@link RetryPolicy}). */
  client: Pick<BedrockRuntimeClient, 'send'>;
  /** A foundation model id or an inference profile id/ARN (MODEL_ID). */
  modelId: string;
  retry?: Partial<RetryPolicy>;
  /**
   * The longest silence allowed on a call: before the first event (connection and time to first byte) and between
   * events. A call that goes quiet this long fails with `dependency_timeout`; an answer that keeps streaming is never
   * cut, however long it runs. Default 30 s.
   */
  idleTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Where Bedrock's own error text goes (it names role ARNs and the account id); never into the ModelError. */
  logger?: Pick<Logger, 'warn'>;
  /** Prompt-cache checkpoints after the system prompt and the tool specs (PROMPT_CACHE); default `auto`. */
  promptCache?: PromptCacheMode;
  /** JSON answers constrained to the request's schema (STRUCTURED_OUTPUT); default `auto`. */
  structuredOutput?: StructuredOutputMode;
}

/**
 * `auto`: on for the models Bedrock's structured output is known to serve ({@link structuredOutputSupported});
 * `on`: for any model (a refusal falls back to an unconstrained call); `off`: never.
 */
export type StructuredOutputMode = 'auto' | 'on' | 'off';

/**
 * Claude models with structured output on Bedrock: Sonnet/Opus/Haiku 4.5 and later (4.6, 5...), as a foundation model
 * id, an inference profile id or either's ARN. Earlier Claude models, other vendors (some open-weight models support
 * it too) and application inference profile ARNs are left out: set STRUCTURED_OUTPUT=on for those that support it.
 */
const STRUCTURED_CLAUDE = /(?:^|[./])anthropic\.claude-(?:sonnet|opus|haiku)-(?:4-[5-9](?!\d)|[5-9](?!\d))/;

/** Whether `auto` constrains JSON answers for this model id. */
export function structuredOutputSupported(modelId: string): boolean {
  return STRUCTURED_CLAUDE.test(modelId);
}

/** `auto`: on for the Claude models Bedrock caches prompts for ({@link promptCacheSupported}); `on`/`off`: always/never. */
export type PromptCacheMode = 'auto' | 'on' | 'off';

/**
 * Claude models whose prompt caching on Bedrock is generally available: Claude 3.5 Haiku, 3.7 Sonnet and every
 * Sonnet/Opus/Haiku from 4 on, as a foundation model id, a (cross-Region) inference profile id or either's ARN.
 * Older Claude models, other vendors and application inference profile ARNs (which hide the model) are left out:
 * set PROMPT_CACHE=on for those that support it.
 */
const CACHING_CLAUDE = /(?:^|[./])anthropic\.claude-(?:3-5-haiku|3-7-sonnet|(?:sonnet|opus|haiku)-\d)/;

/** Whether `auto` turns prompt caching on for this model id. */
export function promptCacheSupported(modelId: string): boolean {
  return CACHING_CLAUDE.test(modelId);
}

const CACHE_POINT = { cachePoint: { type: 'default' } } as const;

const RETRYABLE = new Set([
  'ThrottlingException',
  'throttlingException',
  'ServiceUnavailableException',
  'serviceUnavailableException',
  'ModelNotReadyException',
  'InternalServerException',
  'internalServerException',
]);

/**
 * The {@link ModelPort} on Amazon Bedrock's ConverseStream API. Text deltas are yielded as they arrive; a tool use is
 * yielded whole once its input JSON is complete. Throttling and transient errors are retried with exponential backoff
 * only while nothing has been yielded yet (a half-streamed answer cannot be replayed); then they become a
 * {@link ModelError} with a stable code. A request with a `responseFormat` is constrained to its schema where
 * structured output is on (STRUCTURED_OUTPUT); a schema Bedrock refuses is dropped and the call made again without it.
 */
export function createBedrockModel(options: BedrockModelOptions): ModelPort {
  const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 4_000, ...options.retry };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const mode = options.promptCache ?? 'auto';
  const cache = mode === 'on' || (mode === 'auto' && promptCacheSupported(options.modelId));

  const structuredMode = options.structuredOutput ?? 'auto';
  const structured =
    structuredMode === 'on' || (structuredMode === 'auto' && structuredOutputSupported(options.modelId));
  /** Formats Bedrock refused for this model (by name), for the rest of the cold start. */
  const refused = new Set<string>();

  /** One call with retries: throttling and transient errors are retried only while nothing has been yielded. */
  async function* attempts(
    input: ConverseStreamCommandInput,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ModelStreamEvent> {
    for (let attempt = 1; ; attempt++) {
      let yielded = false;
      try {
        for await (const event of streamOnce(options.client, input, signal, idleTimeoutMs)) {
          yielded = true;
          yield event;
        }
        return;
      } catch (error) {
        if (signal?.aborted) throw error;
        const name = errorName(error);
        if (yielded || attempt >= policy.maxAttempts || !RETRYABLE.has(name)) {
          const failure = toModelError(error);
          options.logger?.warn('Bedrock call failed', {
            code: failure.code,
            errorName: name,
            detail: error instanceof Error ? error.message : String(error),
            attempt,
          });
          throw failure;
        }
        const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.floor(random() * cap));
      }
    }
  }

  return {
    async *stream(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
      const format = request.responseFormat;
      if (!structured || format === undefined || refused.has(format.name)) {
        yield* attempts(toConverseInput(options.modelId, request, cache), request.signal);
        return;
      }
      let yielded = false;
      try {
        for await (const event of attempts(
          toConverseInput(options.modelId, request, cache, format),
          request.signal,
        )) {
          yielded = true;
          yield event.type === 'stop' ? { ...event, constrained: true } : event;
        }
        return;
      } catch (error) {
        // A model (or Region) without structured output, or a schema outside its subset, is refused up front: the
        // answer is then asked for without the schema, and validated and repaired as before.
        if (yielded || !(error instanceof ModelError) || error.code !== 'model_validation') throw error;
      }
      yield* attempts(toConverseInput(options.modelId, request, cache), request.signal);
      // Only now is it clear the schema was what Bedrock refused: later calls with it skip the wasted round trip.
      refused.add(format.name);
      options.logger?.warn('Bedrock refused the structured-output schema; answering without it', {
        format: format.name,
        modelId: options.modelId,
      });
    },
  };
}

/**
 * One ConverseStream call under an idle timer that every event resets. The timer aborts the call itself because the
 * SDK's HTTP/2 handler, when its own stream timeout fires after the response has started, ends the event stream as if
 * the answer were complete; an abort (ours or the turn's) is therefore also checked when the stream ends.
 */
async function* streamOnce(
  client: Pick<BedrockRuntimeClient, 'send'>,
  input: ConverseStreamCommandInput,
  turnSignal: AbortSignal | undefined,
  idleTimeoutMs: number,
): AsyncGenerator<ModelStreamEvent> {
  // Aborted by the idle timer or the turn, whichever comes first; its reason says which.
  const call = new AbortController();
  const timer = setTimeout(
    () => call.abort(new DependencyTimeoutError('Bedrock', idleTimeoutMs)),
    idleTimeoutMs,
  );
  const unfollow = followAbort(turnSignal, call);
  const stopped = () => (call.signal.aborted ? call.signal.reason : undefined);
  try {
    yield* streamEvents(client, input, call.signal, () => timer.refresh());
  } catch (error) {
    throw stopped() ?? error;
  } finally {
    clearTimeout(timer);
    unfollow();
  }
  const reason = stopped();
  if (reason !== undefined) throw reason;
}

/**
 * The ConverseStream request for one model call. With `cache`, a cache checkpoint follows the tool specs and another
 * the system prompt: both are resent unchanged on every call of a turn (and every turn), so later calls read that
 * prefix from the cache instead of paying for it again. A prefix under the model's minimum (1,024 tokens for Sonnet)
 * is simply not cached; the call still succeeds.
 */
export function toConverseInput(
  modelId: string,
  request: ModelRequest,
  cache: boolean,
  format?: JsonResponseFormat,
): ConverseStreamCommandInput {
  const system: SystemContentBlock[] = [{ text: request.system }];
  if (cache && request.system.length > 0) system.push(CACHE_POINT);
  const tools = toBedrockTools(request.tools ?? [], cache);
  return {
    modelId,
    system,
    messages: request.messages.map(toBedrockMessage),
    inferenceConfig: {
      maxTokens: request.maxTokens,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    },
    ...(tools.length > 0 ? { toolConfig: { tools } } : {}),
    ...(format ? { outputConfig: toOutputConfig(format) } : {}),
  };
}

/** Fitted schema text per format object: callers reuse one format per schema, so each is fitted once. */
const fittedSchemas = new WeakMap<JsonResponseFormat, string>();

/** Bedrock's JSON-schema text format: the schema travels as a JSON string, fitted to the subset Bedrock compiles. */
function toOutputConfig(format: JsonResponseFormat): OutputConfig {
  let schema = fittedSchemas.get(format);
  if (schema === undefined) {
    schema = JSON.stringify(toBedrockJsonSchema(format.schema));
    fittedSchemas.set(format, schema);
  }
  return {
    textFormat: {
      type: 'json_schema',
      structure: {
        jsonSchema: {
          name: format.name,
          ...(format.description === undefined ? {} : { description: format.description }),
          schema,
        },
      },
    },
  };
}

/** Bedrock's form of each spec list, converted once: a deployment sends the same list on every call of every turn. */
const bedrockTools = new WeakMap<readonly ToolSpec[], { plain: BedrockTool[]; cached: BedrockTool[] }>();

function toBedrockTools(specs: readonly ToolSpec[], cache: boolean): BedrockTool[] {
  let converted = bedrockTools.get(specs);
  if (!converted) {
    const plain = specs.map(
      (tool): BedrockTool => ({
        toolSpec: {
          name: tool.name,
          description: tool.description,
          inputSchema: { json: tool.inputSchema as DocumentType },
        },
      }),
    );
    converted = { plain, cached: plain.length > 0 ? [...plain, CACHE_POINT] : plain };
    bedrockTools.set(specs, converted);
  }
  return cache ? converted.cached : converted.plain;
}

async function* streamEvents(
  client: Pick<BedrockRuntimeClient, 'send'>,
  input: ConverseStreamCommandInput,
  signal: AbortSignal,
  alive: () => void,
): AsyncGenerator<ModelStreamEvent> {
  const response = await client.send(new ConverseStreamCommand(input), { abortSignal: signal });
  if (!response.stream) throw new ModelError('model_error', 'Bedrock returned no response stream');
  alive();

  // Tool input arrives as partial JSON strings per content block; assemble until the block stops.
  const toolBlocks = new Map<number, { toolUseId: string; name: string; json: string }>();
  let stopReason: StopReason | undefined;
  let usage: TokenUsage | undefined;
  for await (const event of response.stream as AsyncIterable<ConverseStreamOutput>) {
    alive();
    if (event.contentBlockStart?.start?.toolUse) {
      const { toolUseId = '', name = '' } = event.contentBlockStart.start.toolUse;
      toolBlocks.set(event.contentBlockStart.contentBlockIndex ?? 0, { toolUseId, name, json: '' });
    } else if (event.contentBlockDelta) {
      const { delta, contentBlockIndex = 0 } = event.contentBlockDelta;
      if (delta?.text !== undefined && delta.text.length > 0) yield { type: 'text', delta: delta.text };
      else if (delta?.toolUse?.input !== undefined) {
        const block = toolBlocks.get(contentBlockIndex);
        if (block) block.json += delta.toolUse.input;
      }
    } else if (event.contentBlockStop) {
      const index = event.contentBlockStop.contentBlockIndex ?? 0;
      const block = toolBlocks.get(index);
      if (block) {
        toolBlocks.delete(index);
        yield {
          type: 'tool_use',
          toolUseId: block.toolUseId,
          name: block.name,
          ...parseToolInput(block.json),
        };
      }
    } else if (event.messageStop) {
      stopReason = toStopReason(event.messageStop.stopReason);
    } else if (event.metadata?.usage) {
      const { inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens } = event.metadata.usage;
      usage = {
        inputTokens: inputTokens ?? 0,
        outputTokens: outputTokens ?? 0,
        // Only when the model used a prompt cache: the stop event stays as it was for everyone else.
        ...(cacheReadInputTokens ? { cacheReadInputTokens } : {}),
        ...(cacheWriteInputTokens ? { cacheWriteInputTokens } : {}),
      };
    } else {
      const exception =
        event.throttlingException ??
        event.serviceUnavailableException ??
        event.internalServerException ??
        event.modelStreamErrorException ??
        event.validationException;
      if (exception) throw exception;
    }
  }
  yield { type: 'stop', reason: stopReason ?? 'other', usage };
}

function toBedrockMessage(message: ChatMessage): BedrockMessage {
  return {
    role: message.role,
    content: message.content.map((block): BedrockContentBlock => {
      if ('text' in block) return { text: block.text };
      if ('toolUse' in block) {
        return {
          toolUse: {
            toolUseId: block.toolUse.toolUseId,
            name: block.toolUse.name,
            input: block.toolUse.input as DocumentType,
          },
        };
      }
      return {
        toolResult: {
          toolUseId: block.toolResult.toolUseId,
          status: block.toolResult.status,
          content: block.toolResult.content.map((part) =>
            'text' in part ? { text: part.text } : { json: part.json as DocumentType },
          ),
        },
      };
    }),
  };
}

/**
 * A model may stream an empty input for a tool without parameters. Unparsable input is replaced by `{}` (Bedrock wants
 * an object in the stored tool use) and reported, so the loop answers with an error instead of running the tool.
 */
function parseToolInput(json: string): { input: unknown; inputError?: string } {
  if (json.trim() === '') return { input: {} };
  try {
    const input: unknown = JSON.parse(json);
    if (typeof input === 'object' && input !== null && !Array.isArray(input)) return { input };
    return { input: {}, inputError: 'the tool input must be a JSON object' };
  } catch (error) {
    return { input: {}, inputError: `the tool input was not valid JSON (${(error as Error).message})` };
  }
}

function toStopReason(reason: string | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
    case 'guardrail_intervened':
    case 'content_filtered':
      return reason;
    default:
      return 'other';
  }
}

/**
 * Maps a Bedrock exception to a {@link ModelError} whose message tells a person what to do. Bedrock's own text is left
 * out: it names the function's role ARN and the account id (the adapter logs it).
 */
export function toModelError(error: unknown): ModelError {
  if (error instanceof ModelError) return error;
  if (isDependencyTimeout(error)) {
    return new ModelError(
      'dependency_timeout',
      'The model stopped answering (no response within the time limit); try again shortly.',
      { cause: error },
    );
  }
  switch (errorName(error)) {
    case 'ThrottlingException':
    case 'throttlingException':
      return new ModelError(
        'model_throttled',
        'The model is receiving too many requests right now; wait a moment and send the message again.',
        { cause: error },
      );
    case 'AccessDeniedException':
      return new ModelError(
        'model_access_denied',
        "This deployment may not use the configured model: the operator must enable access to it in the Bedrock console and check the function's IAM policy. The details are in the function's log.",
        { cause: error },
      );
    case 'ValidationException':
    case 'validationException':
    case 'ResourceNotFoundException':
      return new ModelError(
        'model_validation',
        "The model rejected the request (for example an unknown model id, or a request it does not support). The details are in the function's log.",
        { cause: error },
      );
    case 'ModelNotReadyException':
      return new ModelError('model_not_ready', 'The model is not ready yet; try again in a minute.', {
        cause: error,
      });
    case 'ServiceUnavailableException':
    case 'serviceUnavailableException':
    case 'InternalServerException':
    case 'internalServerException':
    case 'ModelStreamErrorException':
    case 'modelStreamErrorException':
    case 'ModelTimeoutException':
      return new ModelError(
        'model_unavailable',
        'The model service is unavailable right now; try again shortly.',
        {
          cause: error,
        },
      );
    default:
      return new ModelError(
        'model_error',
        "The model call failed; try again. The details are in the function's log.",
        { cause: error },
      );
  }
}

function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  if (typeof error === 'object' && error !== null && 'name' in error) return String(error.name);
  return '';
}
