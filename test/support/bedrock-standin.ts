import { createHash, randomUUID } from 'node:crypto';
import {
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/**
 * A local stand-in for Amazon Bedrock Runtime's Converse API, for tests, the offline demo and the benchmark.
 *
 * It answers `POST /model/{modelId}/converse-stream` with genuine AWS event-stream frames (the binary
 * `application/vnd.amazon.eventstream` framing, encoded by `@smithy/eventstream-codec`) and `POST
 * /model/{modelId}/converse` with JSON, so the real `BedrockRuntimeClient` parses everything it sends. The
 * client speaks HTTP/2 by default, so this is an `http2` cleartext server.
 *
 * What the "model" says is scripted: a queue of {@link ScriptedTurn}s, or a {@link Responder} function that looks at
 * the request (the offline demo's canned assistant).
 */
export interface BedrockStandin {
  /** Base URL, the client's `endpoint` / `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. */
  url: string;
  /** Every request in arrival order, with its parsed JSON body. */
  requests: RecordedBedrockRequest[];
  /** Appends turns to the script (used when no responder is set). */
  enqueue(...turns: ScriptedTurn[]): void;
  /** Turns still queued. */
  pending(): number;
  close(): Promise<void>;
}

export interface RecordedBedrockRequest {
  operation: 'ConverseStream' | 'Converse';
  modelId: string;
  body: ConverseRequestBody;
  headers: Record<string, string | string[] | undefined>;
}

/** The part of the Converse request body the stand-in and tests look at. */
export interface ConverseRequestBody {
  messages: Array<{ role: 'user' | 'assistant'; content: Array<Record<string, unknown>> }>;
  /** Text blocks; a prompt-cache checkpoint (`{ cachePoint: { type: 'default' } }`) has no text. */
  system?: Array<{ text?: string; cachePoint?: CachePointBlock }>;
  toolConfig?: {
    /** Tool specs; a cache checkpoint has no `toolSpec`. */
    tools: Array<{
      toolSpec?: { name: string; description: string; inputSchema: { json: unknown } };
      cachePoint?: CachePointBlock;
    }>;
  };
  inferenceConfig?: { maxTokens?: number; temperature?: number };
  /** Structured output: the answer's JSON Schema, as a JSON string (checked against Bedrock's subset on arrival). */
  outputConfig?: {
    textFormat?: {
      type?: string;
      structure?: { jsonSchema?: { name?: string; description?: string; schema?: string } };
    };
  };
}

interface CachePointBlock {
  type: 'default';
}

/** One scripted model answer. */
export type ScriptedTurn =
  | {
      kind: 'reply';
      /** Text deltas, streamed in order (a single string is one delta). */
      text?: string | string[];
      /** Tool uses after the text; each input is streamed as JSON split across several deltas. */
      toolUses?: Array<{ name: string; input: unknown; toolUseId?: string }>;
      /** Defaults to `tool_use` when there are tool uses, else `end_turn`. */
      stopReason?: string;
      /** Pause between frames (ms), to make streaming observable. */
      delayMs?: number;
      /** Append `@<epoch ms with µs>` to each text delta as it is sent (the benchmark measures relay latency with it). */
      stampDeltas?: boolean;
      usage?: {
        inputTokens: number;
        outputTokens: number;
        cacheReadInputTokens?: number;
        cacheWriteInputTokens?: number;
      };
    }
  /** An HTTP error before any frame (what the SDK sees for throttling, access denied, validation...). */
  | { kind: 'http_error'; status: number; type: string; message: string }
  /** Some text deltas, then an exception frame inside the stream (e.g. `throttlingException`). */
  | { kind: 'stream_error'; text?: string[]; exception: string; message: string }
  /** Streams the text deltas, then hangs until the client gives up (for time-budget tests). */
  | { kind: 'hang'; text?: string[] };

/** Decides the answer from the request; `index` counts requests from 0. */
export type Responder = (body: ConverseRequestBody, index: number) => ScriptedTurn | Promise<ScriptedTurn>;

/** Shorthands for scripting. */
export const say = (...deltas: string[]): ScriptedTurn => ({ kind: 'reply', text: deltas });
export const callTool = (name: string, input: unknown, text?: string): ScriptedTurn => ({
  kind: 'reply',
  text: text === undefined ? undefined : [text],
  toolUses: [{ name, input }],
});

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PATH = /^\/model\/([^/]+)\/(converse-stream|converse)$/;

export interface BedrockStandinOptions {
  responder?: Responder;
  script?: ScriptedTurn[];
  port?: number;
  /**
   * Token usage of a turn without its own `usage`: `fixed` (default) reports 10 in / 5 out; `estimated` counts
   * characters / 4 and plays Claude's prompt cache (see {@link estimateUsage}).
   */
  usage?: 'fixed' | 'estimated';
  /** Smallest cacheable prefix in `estimated` mode (Claude Sonnet's minimum per checkpoint: 1,024 tokens). */
  cacheMinTokens?: number;
  /**
   * Whether the model serves structured output (default true). When false, a request with `outputConfig` is refused
   * with a ValidationException, as Bedrock refuses it for a model without the feature.
   */
  supportsStructuredOutput?: boolean;
}

/** Starts the stand-in on an ephemeral loopback port (or `port`). */
export async function startBedrockStandin(options: BedrockStandinOptions = {}): Promise<BedrockStandin> {
  const queue: ScriptedTurn[] = [...(options.script ?? [])];
  const promptCache = new Set<string>();
  const usageFor = (body: ConverseRequestBody, modelId: string, turn: ScriptedTurn): Usage =>
    (turn.kind === 'reply' ? turn.usage : undefined) ??
    (options.usage === 'estimated'
      ? estimateUsage(body, modelId, turn, promptCache, options.cacheMinTokens ?? 1_024)
      : { inputTokens: 10, outputTokens: 5 });
  const requests: RecordedBedrockRequest[] = [];
  const openResponses = new Set<Http2ServerResponse>();

  const next = async (body: ConverseRequestBody, index: number): Promise<ScriptedTurn> => {
    if (options.responder) return options.responder(body, index);
    const turn = queue.shift();
    if (!turn) {
      return {
        kind: 'http_error',
        status: 400,
        type: 'ValidationException',
        message: 'Bedrock stand-in: no scripted turn left',
      };
    }
    return turn;
  };

  const server: Http2Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(error) }));
    });
  });

  async function handle(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    const match = PATH.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !match) {
      return sendError(res, 404, 'UnknownOperationException', `No route for ${req.method} ${req.url}`);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ConverseRequestBody;
    const operation = match[2] === 'converse-stream' ? 'ConverseStream' : 'Converse';
    const index = requests.length;
    const modelId = decodeURIComponent(match[1] ?? '');
    requests.push({ operation, modelId, body, headers: req.headers });
    if (body.outputConfig !== undefined) {
      const problem =
        options.supportsStructuredOutput === false
          ? `The model ${modelId} does not support structured output (outputConfig).`
          : checkOutputConfig(body.outputConfig);
      if (problem !== undefined) return sendError(res, 400, 'ValidationException', problem);
    }
    const turn = await next(body, index);

    if (turn.kind === 'http_error') return sendError(res, turn.status, turn.type, turn.message);
    if (operation === 'Converse') return sendConverse(res, turn, usageFor(body, modelId, turn));

    openResponses.add(res);
    res.on('close', () => openResponses.delete(res));
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': randomUUID(),
    });
    const delayMs = turn.kind === 'reply' ? (turn.delayMs ?? 0) : 0;
    const send = async (eventType: string, payload: unknown) => {
      if (res.closed || res.destroyed) return;
      if (delayMs > 0) await sleep(delayMs);
      res.write(frame(eventType, typeof payload === 'function' ? payload() : payload));
    };

    await send('messageStart', { role: 'assistant' });
    let block = 0;
    const texts = turn.kind === 'reply' ? toArray(turn.text) : (turn.text ?? []);
    if (texts.length > 0) {
      const stamp = turn.kind === 'reply' && turn.stampDeltas === true;
      for (const delta of texts) {
        // The stamp is taken after the inter-frame pause, right before the write.
        await send('contentBlockDelta', () => ({
          contentBlockIndex: block,
          delta: {
            text: stamp ? `${delta}@${(performance.timeOrigin + performance.now()).toFixed(3)}` : delta,
          },
        }));
      }
      await send('contentBlockStop', { contentBlockIndex: block });
      block += 1;
    }
    if (turn.kind === 'stream_error') {
      res.end(exceptionFrame(turn.exception, turn.message));
      return;
    }
    if (turn.kind === 'hang') return; // left open until the client aborts or the stand-in closes
    for (const use of turn.toolUses ?? []) {
      const toolUseId = use.toolUseId ?? `tooluse_${randomUUID().replace(/-/g, '').slice(0, 22)}`;
      await send('contentBlockStart', {
        contentBlockIndex: block,
        start: { toolUse: { toolUseId, name: use.name } },
      });
      for (const part of splitInThree(JSON.stringify(use.input ?? {}))) {
        await send('contentBlockDelta', { contentBlockIndex: block, delta: { toolUse: { input: part } } });
      }
      await send('contentBlockStop', { contentBlockIndex: block });
      block += 1;
    }
    const stopReason = turn.stopReason ?? ((turn.toolUses ?? []).length > 0 ? 'tool_use' : 'end_turn');
    await send('messageStop', { stopReason });
    const usage = usageFor(body, modelId, turn);
    await send('metadata', {
      usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
      metrics: { latencyMs: 1 },
    });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...turns) => void queue.push(...turns),
    pending: () => queue.length,
    close: async () => {
      for (const res of openResponses) res.stream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * What Bedrock would refuse in a structured-output request, or undefined: the format's shape, a schema that is not a
 * JSON object in a string, or a schema outside the subset its constrained decoding compiles (every object closed with
 * `additionalProperties: false`; no numeric or length bounds; `minItems` only 0 or 1).
 */
export function checkOutputConfig(
  config: NonNullable<ConverseRequestBody['outputConfig']>,
): string | undefined {
  const format = config.textFormat;
  if (format === undefined) return undefined;
  if (format.type !== 'json_schema')
    return `outputConfig.textFormat.type must be json_schema, not ${format.type}`;
  const definition = format.structure?.jsonSchema;
  if (typeof definition?.schema !== 'string')
    return 'outputConfig.textFormat.structure.jsonSchema.schema must be a string';
  if (definition.name !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(definition.name)) {
    return `invalid json schema name ${definition.name}`;
  }
  let schema: unknown;
  try {
    schema = JSON.parse(definition.schema);
  } catch {
    return 'The json schema is not valid JSON';
  }
  return checkSchemaNode(schema, '#');
}

const SUBSET_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'allOf',
  '$ref',
  '$defs',
  'definitions',
  'description',
  'title',
  'format',
  'minItems',
]);

function checkSchemaNode(node: unknown, at: string): string | undefined {
  if (typeof node !== 'object' || node === null || Array.isArray(node))
    return `${at}: a schema must be an object`;
  const schema = node as Record<string, unknown>;
  for (const key of Object.keys(schema)) {
    if (!SUBSET_KEYWORDS.has(key)) return `${at}: the keyword '${key}' is not supported in structured output`;
  }
  if (schema.minItems !== undefined && schema.minItems !== 0 && schema.minItems !== 1) {
    return `${at}: minItems may only be 0 or 1`;
  }
  if (
    (schema.type === 'object' || schema.properties !== undefined) &&
    schema.additionalProperties !== false
  ) {
    return `${at}: objects must set additionalProperties to false`;
  }
  const children: Array<[string, unknown]> = [];
  if (schema.items !== undefined) children.push([`${at}/items`, schema.items]);
  for (const key of ['properties', '$defs', 'definitions']) {
    const map = schema[key];
    if (typeof map === 'object' && map !== null) {
      for (const [name, sub] of Object.entries(map)) children.push([`${at}/${key}/${name}`, sub]);
    }
  }
  for (const key of ['anyOf', 'allOf']) {
    const list = schema[key];
    if (Array.isArray(list)) {
      for (const [index, sub] of list.entries()) children.push([`${at}/${key}/${index}`, sub]);
    }
  }
  for (const [path, child] of children) {
    const problem = checkSchemaNode(child, path);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function frame(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

function exceptionFrame(exceptionType: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

function sendError(res: Http2ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(JSON.stringify({ message }));
}

function sendConverse(res: Http2ServerResponse, turn: ScriptedTurn, usage: Usage): void {
  if (turn.kind !== 'reply') {
    sendError(res, 500, 'InternalServerException', 'stream-only script step');
    return;
  }
  const content: unknown[] = [];
  const text = toArray(turn.text).join('');
  if (text) content.push({ text });
  for (const use of turn.toolUses ?? []) {
    content.push({ toolUse: { toolUseId: use.toolUseId ?? randomUUID(), name: use.name, input: use.input } });
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      output: { message: { role: 'assistant', content } },
      stopReason: turn.stopReason ?? ((turn.toolUses ?? []).length > 0 ? 'tool_use' : 'end_turn'),
      usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
      metrics: { latencyMs: 1 },
    }),
  );
}

interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

const tokensOf = (chars: number) => Math.ceil(chars / 4);

/**
 * Plausible usage for a request, Claude-style: the prompt is tools, then system, then messages; each cache checkpoint
 * marks the prefix before it. A checkpoint whose prefix is at least `minTokens` and was seen before (by this stand-in)
 * is a cache read; the longest new one is written. Reads and writes are left out of `inputTokens`, as Bedrock reports
 * them. No expiry (Bedrock's is 5 minutes after the last use); tokens are characters / 4.
 */
function estimateUsage(
  body: ConverseRequestBody,
  modelId: string,
  turn: ScriptedTurn,
  cache: Set<string>,
  minTokens: number,
): Usage {
  const parts: unknown[] = [
    ...(body.toolConfig?.tools ?? []),
    ...(body.system ?? []),
    ...body.messages.flatMap((message) => [message.role, ...message.content]),
  ];
  const prefix = createHash('sha256').update(modelId);
  let chars = 0;
  let read = 0;
  let written = 0;
  for (const part of parts) {
    if (typeof part === 'object' && part !== null && 'cachePoint' in part) {
      const tokens = tokensOf(chars);
      if (tokens < minTokens) continue;
      const key = prefix.copy().digest('hex');
      if (cache.has(key)) read = tokens;
      else {
        cache.add(key);
        written = tokens;
      }
      continue;
    }
    const text = typeof part === 'string' ? part : JSON.stringify(part);
    prefix.update(text);
    chars += text.length;
  }
  // A write covers only what the longest read did not.
  const write = written > read ? written - read : 0;
  const answer =
    turn.kind === 'reply'
      ? toArray(turn.text).join('').length + JSON.stringify(turn.toolUses ?? []).length
      : 0;
  return {
    inputTokens: tokensOf(chars) - read - write,
    outputTokens: Math.max(1, tokensOf(answer)),
    ...(read > 0 ? { cacheReadInputTokens: read } : {}),
    ...(write > 0 ? { cacheWriteInputTokens: write } : {}),
  };
}

function toArray(text: string | string[] | undefined): string[] {
  if (text === undefined) return [];
  return typeof text === 'string' ? [text] : text;
}

/** Splits a JSON text into up to three parts, as Bedrock streams tool input in partial-JSON deltas. */
function splitInThree(json: string): string[] {
  if (json.length < 3) return [json];
  const third = Math.ceil(json.length / 3);
  return [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)].filter(
    (p) => p.length > 0,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
