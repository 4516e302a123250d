import * as z from 'zod';
import type { ChatMessage, JsonResponseFormat, ModelPort, ModelRequest, StopReason } from '../agent/model';
import type { MetricsPort, ReviewJsonOutput } from '../metrics/port';
import { loadPrompt } from '../prompts';
import { ModelOutputError } from './errors';
import { clipToTokens, estimateRequestTokens } from './tokens';

/** One structured-output call: a prompt whose answer must be JSON matching `schema`. */
export interface JsonCall<T> {
  model: ModelPort;
  system: string;
  prompt: string;
  schema: z.ZodType<T>;
  /** Which answer this is: names its JSON Schema for the model and its `Output` dimension in the metrics. */
  output: ReviewJsonOutput;
  /** What the JSON is, for error messages ("review plan", "findings for chunk 2"). */
  what: string;
  maxTokens: number;
  /** When set, no request (first or repair) may exceed this many estimated input tokens. */
  maxRequestTokens?: number;
  signal?: AbortSignal;
  /** Where the answer's repair and constraint are counted; absent: not measured. */
  metrics?: Pick<MetricsPort, 'reviewJson'>;
}

/** Problems are quoted back to the model and into errors: keep them short. */
const MAX_PROBLEM_CHARS = 800;

/**
 * Asks the model for JSON (no tools offered: the answer is data, never an action) with the JSON Schema generated from
 * `schema` as its response format, so a model with structured output is constrained to it. The answer is validated
 * with `schema` all the same (bounds the grammar cannot express, a cut-off answer, a model without structured output),
 * and on failure exactly one repair request shows the model its answer and the validation problem.
 * @throws ModelOutputError when the repaired answer is still invalid; ModelError from the port
 * @throws Error when a request would exceed `maxRequestTokens` (a sizing bug: callers reserve room for the repair)
 */
export async function completeJson<T>(call: JsonCall<T>): Promise<T> {
  const first: ChatMessage[] = [{ role: 'user', content: [{ text: call.prompt }] }];
  const answer = await ask(call, first);
  const parsed = parseJsonAnswer(answer.text, call.schema, answer.stop);
  const report = (repaired: boolean) =>
    call.metrics?.reviewJson({ output: call.output, repaired, constrained: answer.constrained });
  if (parsed.ok) {
    report(false);
    return parsed.value;
  }
  report(true);

  const repairPrompt = loadPrompt('json-repair', { what: call.what, problem: parsed.problem });
  const withoutPrevious: ChatMessage[] = [
    ...first,
    { role: 'assistant', content: [{ text: '.' }] },
    { role: 'user', content: [{ text: repairPrompt }] },
  ];
  const room =
    call.maxRequestTokens === undefined
      ? Number.POSITIVE_INFINITY
      : call.maxRequestTokens - estimateRequestTokens({ system: call.system, messages: withoutPrevious });
  const previous = clipToTokens(answer.text.trim() || '(empty answer)', Math.max(1, room));
  const repaired = await ask(call, [
    ...first,
    { role: 'assistant', content: [{ text: previous }] },
    { role: 'user', content: [{ text: repairPrompt }] },
  ]);
  const second = parseJsonAnswer(repaired.text, call.schema, repaired.stop);
  if (second.ok) return second.value;
  throw new ModelOutputError(call.what, second.problem);
}

/**
 * The most a repair request can add to the first request besides the echoed answer (estimated tokens): callers with a
 * budget reserve this plus some room for the answer, so the repair fits the same budget.
 */
export function repairOverheadTokens(what: string): number {
  const prompt = loadPrompt('json-repair', { what, problem: '' });
  // The problem is at most MAX_PROBLEM_CHARS + 1 characters of up to 3 UTF-8 bytes each: 1 token each at 3 bytes/token.
  return (
    estimateRequestTokens({ system: '', messages: [{ role: 'user', content: [{ text: prompt }] }] }) +
    MAX_PROBLEM_CHARS +
    1 +
    estimateRequestTokens({ system: '', messages: [{ role: 'assistant', content: [] }] })
  );
}

/** The response format of one zod schema, generated once (zod is the single source of truth for both). */
const formats = new WeakMap<z.ZodType, JsonResponseFormat>();

/**
 * The JSON Schema of what `schema` outputs (defaults filled in, so every field is required), as the model's response
 * format named after `output`. Exported for tests.
 */
export function responseFormatFor(schema: z.ZodType, output: ReviewJsonOutput): JsonResponseFormat {
  const known = formats.get(schema);
  if (known) return known;
  const format: JsonResponseFormat = {
    name: `review_${output}`,
    schema: z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>,
  };
  formats.set(schema, format);
  return format;
}

async function ask<T>(
  call: JsonCall<T>,
  messages: ChatMessage[],
): Promise<{ text: string; stop: StopReason; constrained: boolean }> {
  const request: ModelRequest = {
    system: call.system,
    messages,
    maxTokens: call.maxTokens,
    temperature: 0,
    responseFormat: responseFormatFor(call.schema, call.output),
    signal: call.signal,
  };
  if (call.maxRequestTokens !== undefined) {
    const size = estimateRequestTokens(request);
    if (size > call.maxRequestTokens) {
      throw new Error(
        `A ${call.what} request would carry ~${size} tokens, over its budget of ${call.maxRequestTokens}`,
      );
    }
  }
  let text = '';
  let stop: StopReason = 'other';
  let constrained = false;
  for await (const event of call.model.stream(request)) {
    if (event.type === 'text') text += event.delta;
    else if (event.type === 'stop') {
      stop = event.reason;
      constrained = event.constrained === true;
    }
    // A tool_use cannot happen (no tools are offered); it is ignored rather than acted on.
  }
  return { text, stop, constrained };
}

/** The outcome of checking one answer. */
export type JsonParse<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Extracts the JSON value from a model answer (tolerating a ```json fence or prose around one object) and validates it.
 * Never throws: a problem is described for the repair prompt.
 */
export function parseJsonAnswer<T>(
  text: string,
  schema: z.ZodType<T>,
  stop: StopReason = 'end_turn',
): JsonParse<T> {
  const cutOff =
    stop === 'max_tokens' ? 'The answer was cut off at the output limit: answer more briefly. ' : '';
  const candidate = extractJsonText(text);
  if (candidate === undefined) return { ok: false, problem: `${cutOff}The answer contains no JSON object.` };
  let value: unknown;
  try {
    value = JSON.parse(candidate);
  } catch (error) {
    return { ok: false, problem: clip(`${cutOff}The answer is not valid JSON: ${(error as Error).message}`) };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problem: clip(`${cutOff}The JSON does not match the schema:\n${z.prettifyError(result.error)}`),
  };
}

/**
 * The JSON in `text`: the whole answer when it starts like JSON, a fence's content when the answer is one fenced block,
 * else from the first `{` to the last `}`. (A fence regex alone would trip over ``` inside JSON strings.)
 */
function extractJsonText(text: string): string | undefined {
  let body = text.trim();
  if (body.startsWith('```'))
    body = body
      .replace(/^```[a-zA-Z]*[^\S\n]*\n?/, '')
      .replace(/\n?```$/, '')
      .trim();
  if (body.startsWith('{') || body.startsWith('[')) return body;
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  return start >= 0 && end > start ? body.slice(start, end + 1) : undefined;
}

function clip(problem: string): string {
  return problem.length > MAX_PROBLEM_CHARS ? `${problem.slice(0, MAX_PROBLEM_CHARS)}…` : problem;
}
