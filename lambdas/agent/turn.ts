import type { Logger } from '../log';
import { loadPrompt } from '../prompts';
import type { SessionStore } from '../sessions/messages';
import type { Emit } from './events';
import { type AgentLimits, runAgentTurn } from './loop';
import type { ChatMessage, ModelPort } from './model';
import type { Tool } from './tool';

/** Who and where a turn runs; tools are built from it (they close over the user's GitHub access). */
export interface TurnScope {
  userId: string;
  sessionId: string;
  /** The client's consent return URL, when it sent one. */
  returnUrl?: string;
  emit: Emit;
}

export interface ChatTurnDeps {
  model: ModelPort;
  sessions: SessionStore;
  limits: AgentLimits & { historyTokenBudget: number };
  /** The system prompt, rendered once at cold start. */
  systemPrompt: string;
  toolsFor(scope: TurnScope): readonly Tool[];
  newSessionId(): string;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

export interface ChatTurnInput {
  userId: string;
  /** Absent: a new session is created and announced. */
  sessionId?: string;
  message: string;
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

  let history: ChatMessage[];
  try {
    if (isNew) {
      history = [];
    } else {
      const [exists, recent] = await Promise.all([
        deps.sessions.exists(input.userId, sessionId),
        deps.sessions.loadRecent(input.userId, sessionId, deps.limits.historyTokenBudget),
      ]);
      if (!exists) {
        emit({
          type: 'error',
          code: 'session_not_found',
          message: `There is no session ${sessionId} for you (it may have expired); send the message without a session id to start a new one.`,
        });
        return;
      }
      history = recent;
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
  const tools = deps.toolsFor({ userId: input.userId, sessionId, returnUrl: input.returnUrl, emit });
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
    // Not saved: the client re-sends the same message once the user has consented.
    const { consent } = outcome;
    emit({
      type: 'oauth_url',
      url: consent.authorizationUrl,
      session_uri: consent.sessionUri,
      state: consent.state,
      ...(consent.userCode === undefined ? {} : { user_code: consent.userCode }),
    });
    emit({ type: 'token', content: loadPrompt('consent-needed').trim() });
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
  try {
    await deps.sessions.append(input.userId, sessionId, messages);
  } catch (error) {
    logger.error('Saving the turn failed', { sessionId, error: describe(error) });
    emit({
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
