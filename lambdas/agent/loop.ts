import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import type { Emit, ErrorCode } from './events';
import { type ChatMessage, type ContentBlock, ModelError, type ModelPort } from './model';
import { ConsentRequiredError, type Tool, type ToolContext, type ToolOutput } from './tool';
import { describeToolFailure } from './tool-failure';
import { toToolSpecs } from './tool-specs';

/** The bounds of one turn. */
export interface AgentLimits {
  /** Model calls that end in tool use before the turn gives up. */
  maxIterations: number;
  /** Output tokens per model call. */
  maxOutputTokens: number;
  /** Time kept back from the invocation's remaining time for saving the session and ending the stream. */
  reserveMs: number;
}

export interface AgentDeps {
  model: ModelPort;
  limits: AgentLimits;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

export interface AgentTurnInput {
  system: string;
  /** Earlier messages, oldest first; starts with a user message. */
  history: ChatMessage[];
  /** This turn's user message. */
  userMessage: ChatMessage;
  tools: readonly Tool[];
  /** Who and where, passed to every tool. */
  context: Omit<ToolContext, 'emit'>;
  emit: Emit;
  /** Milliseconds left in this invocation (Lambda's `context.getRemainingTimeInMillis`). */
  remainingMs: () => number;
}

export type TurnOutcome =
  | { kind: 'completed' }
  /** A tool needs the user's GitHub consent; the turn ends so the client can show the link. */
  | { kind: 'consent'; consent: ConsentRequiredError }
  | { kind: 'failed'; code: ErrorCode; message: string };

export interface AgentTurnResult {
  /** The turn's messages in order (the user message first): what the session should keep. */
  messages: ChatMessage[];
  outcome: TurnOutcome;
}

/** Tool results are part of the model's context and of a stored item: keep each well under both limits. */
const MAX_TOOL_RESULT_CHARS = 24_000;

/**
 * Runs one chat turn: ConverseStream with the tools, streaming text as `token` events the moment it arrives, running
 * requested tools (consecutive read-only ones concurrently) with `tool_use`/`tool_result` events, and calling the
 * model again until it answers without tools. Bounded by iterations, output tokens and the invocation's remaining time.
 * Never throws for model or tool failures: they end the turn as a `failed` outcome with a stable code.
 */
export async function runAgentTurn(deps: AgentDeps, input: AgentTurnInput): Promise<AgentTurnResult> {
  const { model, limits, logger } = deps;
  const { emit } = input;
  const toolSpecs = toToolSpecs(input.tools);
  const toolsByName = new Map(input.tools.map((tool) => [tool.name, tool]));
  const conversation = [...input.history, input.userMessage];
  const messages: ChatMessage[] = [input.userMessage];
  const done = (outcome: TurnOutcome): AgentTurnResult => ({ messages, outcome });

  // One deadline for the whole turn: model calls and tools (GitHub waits, the review planner) all stop in time to save
  // the turn and end the stream.
  const budget = AbortSignal.timeout(Math.max(1, input.remainingMs() - limits.reserveMs));
  const signal = input.context.signal ? AbortSignal.any([input.context.signal, budget]) : budget;
  const toolContext: ToolContext = { ...input.context, emit, signal };
  const guard: UntrustedGuard = { readUntrusted: false };

  for (let iteration = 0; iteration < limits.maxIterations; iteration++) {
    if (budget.aborted || input.remainingMs() - limits.reserveMs <= 0) return done(timeLimit());

    let text = '';
    const toolUses: ToolUse[] = [];
    let stopReason = 'other';
    try {
      for await (const event of model.stream({
        system: input.system,
        messages: conversation,
        tools: toolSpecs,
        maxTokens: limits.maxOutputTokens,
        signal,
      })) {
        if (event.type === 'text') {
          text += event.delta;
          emit({ type: 'token', content: event.delta });
        } else if (event.type === 'tool_use') {
          toolUses.push({
            toolUseId: event.toolUseId,
            name: event.name,
            input: event.input,
            ...(event.inputError === undefined ? {} : { inputError: event.inputError }),
          });
        } else {
          stopReason = event.reason;
        }
      }
    } catch (error) {
      if (budget.aborted && !input.context.signal?.aborted) return done(timeLimit());
      if (error instanceof ModelError) {
        logger?.warn('Model call failed', { code: error.code, iteration });
        return done({ kind: 'failed', code: error.code, message: error.message });
      }
      logger?.error('Model call failed unexpectedly', { error: describe(error), iteration });
      return done({ kind: 'failed', code: 'model_error', message: 'The model call failed unexpectedly.' });
    }

    // A tool use cut off at the output limit is never run: storing it without a result would make Bedrock reject
    // every later turn of the session (and its input is truncated JSON anyway).
    const cutOff = stopReason === 'max_tokens';
    const content: ContentBlock[] = [];
    if (text.length > 0) content.push({ text });
    if (!cutOff) {
      for (const use of toolUses) {
        content.push({ toolUse: { toolUseId: use.toolUseId, name: use.name, input: use.input } });
      }
    }
    if (content.length > 0) {
      const assistant: ChatMessage = { role: 'assistant', content };
      conversation.push(assistant);
      messages.push(assistant);
    }

    if (cutOff) {
      return done({
        kind: 'failed',
        code: 'token_limit',
        message: `The answer reached the limit of ${limits.maxOutputTokens} output tokens and was cut off; ask for a shorter answer or a part of it.`,
      });
    }
    if (toolUses.length === 0) return done({ kind: 'completed' });

    let results: ContentBlock[];
    try {
      results = await runTools(toolUses, toolsByName, toolContext, guard, logger);
    } catch (error) {
      if (error instanceof ConsentRequiredError) {
        // The assistant's tool request stays unanswered: drop it so the stored session never holds a lone toolUse.
        messages.pop();
        return done({ kind: 'consent', consent: error });
      }
      throw error;
    }
    const toolResults: ChatMessage = { role: 'user', content: results };
    conversation.push(toolResults);
    messages.push(toolResults);
  }
  return done({
    kind: 'failed',
    code: 'iteration_limit',
    message: `Stopped after ${limits.maxIterations} rounds of tool calls without a final answer; narrow the request and try again.`,
  });
}

function timeLimit(): TurnOutcome {
  return {
    kind: 'failed',
    code: 'time_limit',
    message:
      'This turn ran out of time before the model finished; ask again, or split the request into smaller steps.',
  };
}

type ToolUse = { toolUseId: string; name: string; input: unknown; inputError?: string };

/**
 * Whether this turn has fed the model text written by other people. From then on, tools that act on the user's
 * behalf are withheld until the user confirms in a new message: an instruction hidden in an issue or a diff cannot
 * make the agent open issues or pull requests.
 */
interface UntrustedGuard {
  readUntrusted: boolean;
}

/** Runs the tool uses in order; consecutive read-only tools run concurrently. ConsentRequiredError propagates. */
async function runTools(
  uses: ToolUse[],
  tools: Map<string, Tool>,
  context: ToolContext,
  guard: UntrustedGuard,
  logger: AgentDeps['logger'],
): Promise<ContentBlock[]> {
  const results: ContentBlock[] = [];
  let batch: ToolUse[] = [];
  const flush = async () => {
    const outputs = await Promise.all(batch.map((use) => runTool(use, tools, context, guard, logger)));
    results.push(...outputs);
    batch = [];
  };
  for (const use of uses) {
    if (tools.get(use.name)?.readOnly) {
      batch.push(use);
      continue;
    }
    await flush();
    batch.push(use);
    await flush();
  }
  await flush();
  return results;
}

async function runTool(
  use: ToolUse,
  tools: Map<string, Tool>,
  context: ToolContext,
  guard: UntrustedGuard,
  logger: AgentDeps['logger'],
): Promise<ContentBlock> {
  context.emit({ type: 'tool_use', tool_name: use.name, tool_input: use.input });
  const tool = tools.get(use.name);
  const output = await execute(use, tool, context, guard, logger);
  if (tool?.untrustedOutput && output.ok) guard.readUntrusted = true;
  context.emit({ type: 'tool_result', tool_name: use.name, ok: output.ok, summary: output.summary });
  return {
    toolResult: {
      toolUseId: use.toolUseId,
      status: output.ok ? 'success' : 'error',
      content: [toResultContent(output.content)],
    },
  };
}

/** Validates and runs one tool use; every refusal or failure becomes a failed result the model can act on. */
async function execute(
  use: ToolUse,
  tool: Tool | undefined,
  context: ToolContext,
  guard: UntrustedGuard,
  logger: AgentDeps['logger'],
): Promise<ToolOutput> {
  const refuse = (summary: string, error: string): ToolOutput => ({ ok: false, summary, content: { error } });
  if (!tool) return refuse(`unknown tool ${use.name}`, `There is no tool named ${use.name}.`);
  if (use.inputError !== undefined)
    return refuse('invalid input', `Invalid input for ${use.name}: ${use.inputError}`);
  if (tool.externalWrite && guard.readUntrusted) {
    return refuse('withheld until you confirm', loadPrompt('write-withheld').trim());
  }
  const parsed = tool.input.safeParse(use.input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`,
    );
    return refuse('invalid input', `Invalid input for ${use.name}: ${problems.join('; ')}`);
  }
  try {
    return await tool.run(parsed.data, context);
  } catch (error) {
    if (error instanceof ConsentRequiredError) throw error;
    logger?.error('Tool failed', { tool: use.name, error: describe(error) });
    return refuse('failed', `${use.name} failed: ${describeToolFailure(error)}`);
  }
}

/** Bedrock wants a JSON object in a `json` block; anything too big is cut and said to be cut. */
function toResultContent(content: unknown): { json: unknown } | { text: string } {
  const json = JSON.stringify(content ?? null);
  if (json.length > MAX_TOOL_RESULT_CHARS) {
    return { text: `${json.slice(0, MAX_TOOL_RESULT_CHARS)}… [truncated: ${json.length} characters in all]` };
  }
  if (typeof content === 'object' && content !== null && !Array.isArray(content)) return { json: content };
  return { json: { result: content ?? null } };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
