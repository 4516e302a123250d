import { followAbort } from '../abort';
import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import { isDependencyTimeout } from '../timeouts';
import type { WriteTicket } from '../writes/gate';
import type { Emit, ErrorCode } from './events';
import { type ChatMessage, type ContentBlock, ModelError, type ModelPort } from './model';
import { ConsentRequiredError, type Tool, type ToolContext, type ToolOutput } from './tool';
import { describeToolFailure } from './tool-failure';
import type { ToolSet } from './tool-specs';

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
  /** Built once per cold start; what varies per turn reaches the tools through `context`. */
  tools: ToolSet;
  /** Who and where, passed to every tool (with this turn's bound values, e.g. the user's GitHub access). */
  context: Omit<ToolContext, 'emit'>;
  emit: Emit;
  /** Milliseconds left in this invocation (Lambda's `context.getRemainingTimeInMillis`). */
  remainingMs: () => number;
  /** Where GitHub writes go once the session has read text written by others (absent: such writes are refused). */
  writeGate?: WriteGate;
}

/** The session's trust so far, and where withheld writes are stored for the user's explicit approval. */
export interface WriteGate {
  /** The session read text written by other people in an earlier turn. */
  untrusted: boolean;
  /** `summary`: the tool's own one-line description of the write, when it has one. */
  hold(toolName: string, toolInput: unknown, summary?: string): Promise<WriteTicket>;
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
  /** The session has now read text written by other people (in this turn or before): keep it marked. */
  readUntrusted: boolean;
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
  // One deadline for the whole turn: model calls and tools (GitHub waits, the review planner) all stop in time to save
  // the turn and end the stream. A tool that finds a dependency hung stops the turn the way a client that left does.
  // Both, and the caller's signal, abort one controller; the timer and the link end with the turn.
  const turn = new AbortController();
  let outOfTime = false;
  const deadline = setTimeout(
    () => {
      outOfTime = true;
      turn.abort(new DOMException('The turn ran out of time', 'TimeoutError'));
    },
    Math.max(1, input.remainingMs() - deps.limits.reserveMs),
  );
  const unfollow = followAbort(input.context.signal, turn);
  try {
    return await iterate(deps, input, turn, () => outOfTime);
  } finally {
    clearTimeout(deadline);
    unfollow();
  }
}

/** The model/tool rounds of {@link runAgentTurn}, under its controller. */
async function iterate(
  deps: AgentDeps,
  input: AgentTurnInput,
  turn: AbortController,
  outOfTime: () => boolean,
): Promise<AgentTurnResult> {
  const { model, limits, logger } = deps;
  const { emit } = input;
  const { specs: toolSpecs, byName: toolsByName } = input.tools;
  const conversation = [...input.history, input.userMessage];
  const messages: ChatMessage[] = [input.userMessage];
  const guard: UntrustedGuard = { readUntrusted: input.writeGate?.untrusted ?? false, gate: input.writeGate };
  const done = (outcome: TurnOutcome): AgentTurnResult => ({
    messages,
    outcome,
    readUntrusted: guard.readUntrusted,
  });

  const { signal } = turn;
  const toolContext: ToolContext = {
    ...input.context,
    emit,
    signal,
    sessionUntrusted: () => guard.readUntrusted,
    stopTurn: (reason) => turn.abort(reason),
  };

  for (let iteration = 0; iteration < limits.maxIterations; iteration++) {
    if (outOfTime() || input.remainingMs() - limits.reserveMs <= 0) return done(timeLimit());
    if (signal.aborted) return done(stopped(signal.reason));

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
      if (outOfTime() && !input.context.signal?.aborted) return done(timeLimit());
      if (signal.aborted) return done(stopped(signal.reason));
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

/** The turn was stopped from outside the loop: the client left, or a tool found a dependency not answering. */
function stopped(reason: unknown): TurnOutcome {
  if (isDependencyTimeout(reason)) {
    return {
      kind: 'failed',
      code: 'dependency_timeout',
      message: `${describe(reason)}; nothing more was attempted in this turn. Try again in a moment.`,
    };
  }
  return {
    kind: 'failed',
    code: 'client_disconnected',
    message: 'The client disconnected; the turn was stopped.',
  };
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
 * Whether this session has fed the model text written by other people (in any turn: the text stays in the history).
 * From then on, tools that act on the user's behalf are stored as pending writes and run only when the user approves
 * that exact call: an instruction hidden in an issue or a diff cannot make the agent open issues or pull requests, and
 * neither can a "thanks" from the user in a later turn.
 */
interface UntrustedGuard {
  readUntrusted: boolean;
  gate?: WriteGate;
}

/** Runs the tool uses in order; consecutive read-only tools run concurrently. ConsentRequiredError propagates. */
async function runTools(
  uses: ToolUse[],
  tools: ReadonlyMap<string, Tool>,
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
  tools: ReadonlyMap<string, Tool>,
  context: ToolContext,
  guard: UntrustedGuard,
  logger: AgentDeps['logger'],
): Promise<ContentBlock> {
  context.emit({ type: 'tool_use', tool_name: use.name, tool_input: use.input });
  const tool = tools.get(use.name);
  // Once the turn is stopped (client gone, time up, a dependency hung) nothing new may act on the user's behalf.
  const output =
    context.signal?.aborted && !tool?.readOnly
      ? notStarted(use.name)
      : await execute(use, tool, context, guard, logger);
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
  const parsed = tool.input.safeParse(use.input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`,
    );
    return refuse('invalid input', `Invalid input for ${use.name}: ${problems.join('; ')}`);
  }
  try {
    if (tool.externalWrite && guard.readUntrusted) return await withhold(tool, parsed.data, guard, context);
    return await tool.run(parsed.data, context);
  } catch (error) {
    if (error instanceof ConsentRequiredError) throw error;
    logger?.error('Tool failed', { tool: use.name, error: describe(error) });
    return refuse('failed', `${use.name} failed: ${describeToolFailure(error)}`);
  }
}

/** Stores the write for the user's approval and tells the model (and, through `write_pending`, the user) so. */
async function withhold(
  tool: Tool,
  toolInput: unknown,
  guard: UntrustedGuard,
  context: ToolContext,
): Promise<ToolOutput> {
  if (guard.gate === undefined) {
    const error = loadPrompt('write-withheld-unavailable').trim();
    return { ok: false, summary: 'withheld: approvals are not available', content: { error } };
  }
  const toolName = tool.name;
  const ticket = await guard.gate.hold(toolName, toolInput, tool.describeWrite?.(toolInput));
  context.emit({
    type: 'write_pending',
    action_id: ticket.actionId,
    tool_name: toolName,
    tool_input: toolInput,
    summary: ticket.summary,
    expires_at: ticket.expiresAt,
  });
  return {
    ok: false,
    summary: `withheld until you approve ${ticket.actionId}`,
    content: {
      status: 'awaiting_user_approval',
      action_id: ticket.actionId,
      note: loadPrompt('write-withheld', { action_id: ticket.actionId }).trim(),
    },
  };
}

function notStarted(name: string): ToolOutput {
  return {
    ok: false,
    summary: 'not run: the turn was stopped',
    content: { error: `${name} was not run: the turn was stopped.` },
  };
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
