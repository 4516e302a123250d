import { consentStateHash } from '../identity/consent-state';
import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import type { ConsentBindings } from '../sessions/consents';
import type { SessionStore } from '../sessions/messages';
import type { Emit } from './events';
import { type AgentLimits, runAgentTurn } from './loop';
import type { ChatMessage, ModelPort } from './model';
import { ConsentRequiredError, type Tool } from './tool';

/** Who and where a turn runs; tools are built from it (they close over the user's GitHub access). */
export interface TurnScope {
  userId: string;
  sessionId: string;
  /** The client's consent return URL, when it sent one. */
  returnUrl?: string;
  emit: Emit;
}

/** "approve"/"cancel" on a review plan, optionally naming it. */
export interface PlanCommand {
  type: 'approve' | 'cancel';
  planId?: string;
}

/** The review workflow's commands, as the turn sees them (wired in lambdas/chat/wiring.ts). */
export interface PlanCommands {
  /** A message that is a plan command ("approve", "cancel p_abc"), or undefined for an ordinary message. */
  parse(message: string): PlanCommand | undefined;
  /**
   * Runs the command, streaming its events and reply.
   * @returns the reply text for the history
   * @throws ConsentRequiredError when GitHub needs consent first
   */
  run(scope: TurnScope, command: PlanCommand, signal: AbortSignal): Promise<string>;
}

export interface ChatTurnDeps {
  model: ModelPort;
  sessions: SessionStore;
  /** Where a started browser consent is bound to its user and secret state (checked by /oauth/complete). */
  consents: Pick<ConsentBindings, 'remember'>;
  limits: AgentLimits & { historyTokenBudget: number };
  /** The system prompt, rendered once at cold start. */
  systemPrompt: string;
  toolsFor(scope: TurnScope): readonly Tool[];
  planCommands?: PlanCommands;
  newSessionId(): string;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

export interface ChatTurnInput {
  userId: string;
  /** Absent: a new session is created and announced. An id the caller never used starts a session under it. */
  sessionId?: string;
  message: string;
  /** A plan action from the request body; a plain "approve"/"cancel" message is recognised too. */
  command?: PlanCommand;
  returnUrl?: string;
  emit: Emit;
  remainingMs: () => number;
  signal?: AbortSignal;
}

/**
 * One chat turn from a validated request to a saved session: announces the session, loads its recent history, runs
 * the agent loop, streams the outcome, and saves the turn (one item per message). Never throws: every failure ends as
 * an `error` event. The caller emits `done`.
 */
export async function runChatTurn(deps: ChatTurnDeps, input: ChatTurnInput): Promise<void> {
  const { logger } = deps;
  const { emit } = input;
  const isNew = input.sessionId === undefined;
  const sessionId = input.sessionId ?? deps.newSessionId();
  emit({ type: 'session', session_id: sessionId });

  // An approve/cancel needs the session to exist, not its history.
  const command = input.command ?? deps.planCommands?.parse(input.message);
  let history: ChatMessage[];
  try {
    if (isNew) {
      history = [];
    } else {
      const [exists, recent] = await Promise.all([
        deps.sessions.exists(input.userId, sessionId),
        command ? [] : deps.sessions.loadRecent(input.userId, sessionId, deps.limits.historyTokenBudget),
      ]);
      // A well-formed id this caller never used (client-chosen, or expired) starts a new session under it. Keys are
      // scoped by user, so another user's id is just a new, separate session for this caller.
      history = exists ? recent : [];
    }
  } catch (error) {
    logger.error('Loading the session failed', { sessionId, error: describe(error) });
    emit({
      type: 'error',
      code: 'storage_error',
      message: 'The conversation could not be loaded; try again.',
    });
    return;
  }

  const userMessage: ChatMessage = { role: 'user', content: [{ text: input.message }] };
  const scope: TurnScope = { userId: input.userId, sessionId, returnUrl: input.returnUrl, emit };
  if (command && deps.planCommands) {
    await runCommand(deps, deps.planCommands, { input, scope, command, userMessage });
    return;
  }

  const tools = deps.toolsFor(scope);
  const result = await runAgentTurn(
    { model: deps.model, limits: deps.limits, logger },
    {
      system: deps.systemPrompt,
      history,
      userMessage,
      tools,
      context: { userId: input.userId, sessionId, signal: input.signal },
      emit,
      remainingMs: input.remainingMs,
    },
  );

  const { outcome } = result;
  if (outcome.kind === 'consent') {
    await askForConsent(deps, scope, outcome.consent);
    return;
  }
  if (outcome.kind === 'failed') emit({ type: 'error', code: outcome.code, message: outcome.message });

  const messages = [...result.messages];
  if (messages.at(-1)?.role === 'user') {
    // Keep user/assistant alternation (Bedrock requires it) and tell the model next time what happened.
    const reason = outcome.kind === 'failed' ? outcome.code : 'no answer';
    messages.push({
      role: 'assistant',
      content: [{ text: loadPrompt('interrupted-turn', { reason }).trim() }],
    });
  }
  await save(deps, scope, messages);
}

/** Runs an approve/cancel in this stream and keeps the exchange in the history. */
async function runCommand(
  deps: ChatTurnDeps,
  commands: PlanCommands,
  turn: { input: ChatTurnInput; scope: TurnScope; command: PlanCommand; userMessage: ChatMessage },
): Promise<void> {
  // The review must stop (and post nothing) before the invocation's time runs out.
  const budget = AbortSignal.timeout(Math.max(1, turn.input.remainingMs() - deps.limits.reserveMs));
  const signal = turn.input.signal ? AbortSignal.any([turn.input.signal, budget]) : budget;
  let reply: string;
  try {
    reply = await commands.run(turn.scope, turn.command, signal);
  } catch (error) {
    if (error instanceof ConsentRequiredError) return askForConsent(deps, turn.scope, error);
    throw error;
  }
  const answer: ChatMessage = { role: 'assistant', content: [{ text: reply || '(no reply)' }] };
  await save(deps, turn.scope, [turn.userMessage, answer]);
}

/**
 * Streams the consent link. The turn is not saved (the client re-sends the message after consenting) but the session
 * is, so the re-sent message can continue it. A browser consent is first bound to this user and its secret state.
 */
async function askForConsent(
  deps: ChatTurnDeps,
  scope: TurnScope,
  consent: ConsentRequiredError,
): Promise<void> {
  try {
    if (consent.userCode === undefined) {
      await deps.consents.remember(scope.userId, consent.sessionUri, consent.state);
    }
  } catch (error) {
    deps.logger.error('Saving the consent binding failed', { error: describe(error) });
    scope.emit({
      type: 'error',
      code: 'storage_error',
      message: 'The GitHub authorization could not be started; try again.',
    });
    return;
  }
  await deps.sessions.append(scope.userId, scope.sessionId, []).catch((error: unknown) => {
    deps.logger.error('Saving the session failed', { sessionId: scope.sessionId, error: describe(error) });
  });
  scope.emit({
    type: 'oauth_url',
    url: consent.authorizationUrl,
    session_uri: consent.sessionUri,
    state_hash: consentStateHash(consent.state),
    ...(consent.userCode === undefined ? {} : { user_code: consent.userCode }),
  });
  scope.emit({ type: 'token', content: loadPrompt('consent-needed').trim() });
}

/** Saves the turn's messages; a failure is reported in the stream (the answer was already delivered). */
async function save(deps: ChatTurnDeps, scope: TurnScope, messages: ChatMessage[]): Promise<void> {
  try {
    await deps.sessions.append(scope.userId, scope.sessionId, messages);
  } catch (error) {
    deps.logger.error('Saving the turn failed', { sessionId: scope.sessionId, error: describe(error) });
    scope.emit({
      type: 'error',
      code: 'storage_error',
      message:
        'The reply could not be saved to the conversation history; the next message may lack this context.',
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
