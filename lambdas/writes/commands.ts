import { ConsentRequiredError, type Tool, type ToolContext, type ToolOutput } from '../agent/tool';
import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import { ActionNotFoundError, type PendingWriteStore } from './ports';

export interface WriteCommandDeps {
  writes: PendingWriteStore;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface WriteCommandInput {
  type: 'approve' | 'cancel';
  actionId: string;
  /** This turn's tools: the approved write runs through the same tool (and so the same GitHub access) as any other. */
  tools: readonly Tool[];
  /** Who and where; `emit` streams the run as `tool_use`/`tool_result` and the reply as `token`. */
  context: ToolContext;
}

const CONFIRMATIONS: Record<string, 'approve' | 'cancel'> = { yes: 'approve', no: 'cancel' };

/**
 * Reads "yes"/"no" (any case, an optional "." or "!") as approve/cancel of the session's only pending item. Anything
 * else is an ordinary message. Plain string checks, no regex: the cost is linear in the message whatever it holds.
 */
export function parseConfirmation(message: string): { type: 'approve' | 'cancel' } | undefined {
  if (message.length > 64) return undefined;
  let word = message.trim().toLowerCase();
  if (word.endsWith('.') || word.endsWith('!')) word = word.slice(0, -1).trimEnd();
  const type = Object.hasOwn(CONFIRMATIONS, word) ? CONFIRMATIONS[word] : undefined;
  return type === undefined ? undefined : { type };
}

/**
 * Approves or cancels one withheld write of this session. Approval claims it with a conditional write (pending →
 * executing) before running, so two approvals run it once; it runs with the stored arguments, never the model's
 * latest. A run that fails is not retried (a GitHub write is never re-sent). Nothing starts once `signal` is aborted.
 * @returns the reply, already streamed as a `token` event, for the conversation history
 * @throws ActionError (not found, expired, conflict) with nothing changed; ConsentRequiredError with the write still
 *   pending
 */
export async function runWriteCommand(deps: WriteCommandDeps, input: WriteCommandInput): Promise<string> {
  const { context, actionId } = input;
  const { userId, sessionId, emit } = context;
  const say = (text: string) => {
    emit({ type: 'token', content: text });
    return text;
  };

  const stored = await deps.writes.get(userId, actionId);
  // An id from another of the user's conversations is unknown here: approvals stay within their session.
  if (stored.sessionId !== sessionId) throw new ActionNotFoundError(actionId);

  if (input.type === 'cancel') {
    await deps.writes.transition(userId, actionId, { from: ['pending'], to: 'cancelled' });
    return say(
      loadPrompt('write-command-cancelled', { action_id: actionId, summary: stored.summary }).trim(),
    );
  }

  const notRun = (reason: string) =>
    say(loadPrompt('write-command-not-run', { action_id: actionId, reason }).trim());
  const tool = input.tools.find((candidate) => candidate.name === stored.toolName && candidate.externalWrite);
  if (tool === undefined) return notRun(`the tool ${stored.toolName} is not available here`);
  const parsed = tool.input.safeParse(stored.toolInput);
  if (!parsed.success) {
    await deps.writes.transition(userId, actionId, {
      from: ['pending'],
      to: 'failed',
      outcome: 'its stored arguments are no longer valid',
    });
    return say(
      loadPrompt('write-command-failed', {
        action_id: actionId,
        outcome: 'its stored arguments are no longer valid',
      }).trim(),
    );
  }
  if (context.signal?.aborted) return notRun('the request ended before it could start');

  await deps.writes.transition(userId, actionId, { from: ['pending'], to: 'executing' });
  deps.logger?.info('withheld write approved', { actionId, tool: tool.name });
  emit({ type: 'tool_use', tool_name: tool.name, tool_input: parsed.data });
  let output: ToolOutput;
  try {
    output = await tool.run(parsed.data, context);
  } catch (error) {
    if (error instanceof ConsentRequiredError) {
      // Nothing was sent to GitHub: the write waits, approvable again once the user has consented.
      await deps.writes.transition(userId, actionId, { from: ['executing'], to: 'pending' });
      throw error;
    }
    deps.logger?.error('withheld write failed', {
      actionId,
      error: error instanceof Error ? error.message : String(error),
    });
    output = { ok: false, summary: 'it failed unexpectedly', content: null };
  }
  emit({ type: 'tool_result', tool_name: tool.name, ok: output.ok, summary: output.summary });
  await deps.writes.transition(userId, actionId, {
    from: ['executing'],
    to: output.ok ? 'completed' : 'failed',
    outcome: output.summary,
  });
  const template = output.ok ? 'write-command-completed' : 'write-command-failed';
  return say(loadPrompt(template, { action_id: actionId, outcome: output.summary }).trim());
}
