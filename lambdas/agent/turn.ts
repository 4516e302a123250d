import { consentStateHash } from '../identity/consent-state';
import type { Logger } from '../log';
import type { MetricsPort } from '../metrics/port';
import type { ModelPrice } from '../metrics/prices';
import { meterTurn } from '../metrics/turn-meter';
import { loadPrompt } from '../prompts';
import type { ConsentBindings } from '../sessions/consents';
import type { SessionStore, SessionSummary } from '../sessions/messages';
import { isDependencyTimeout } from '../timeouts';
import { parseConfirmation, runWriteCommand } from '../writes/commands';
import { type HoldWrite, WRITE_ID_PREFIX } from '../writes/gate';
import { ActionError, type PendingWriteStore, type SessionTrust } from '../writes/ports';
import type { Emit, ErrorCode } from './events';
import { type AgentLimits, runAgentTurn } from './loop';
import { type ChatMessage, type ModelPort, observeUsage, type TokenUsage } from './model';
import { ConsentRequiredError, type Tool, type ToolContext } from './tool';
import type { ToolSet } from './tool-specs';

/** Who and where a turn runs; the turn's tool context is bound from it (the user's GitHub access). */
export interface TurnScope {
  userId: string;
  sessionId: string;
  /** The client's consent return URL, when it sent one. */
  returnUrl?: string;
  emit: Emit;
  /** Takes the tokens of model calls made for the turn outside the agent loop (review calls), for the token budget. */
  onUsage?: (usage: TokenUsage) => void;
}

/** "approve"/"cancel" on a review plan, optionally naming it. */
export interface PlanCommand {
  type: 'approve' | 'cancel';
  planId?: string;
}

/** "approve"/"cancel" (or "yes"/"no") on whatever waits for the user: a review plan (`p_…`) or a withheld write (`w_…`). */
export interface PendingCommand {
  type: 'approve' | 'cancel';
  /** Absent: the session's only pending item. */
  id?: string;
  /** A bare "yes"/"no": a command only while something waits for a decision, else an ordinary message. */
  confirmation?: boolean;
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
  /** The session's pending plans, for telling a plain "approve" apart when a withheld write waits too. */
  listPending(scope: TurnScope): Promise<Array<{ id: string; description: string }>>;
}

/**
 * Chat commands answered without the model (auto-review subscriptions): matched before it is called, run in the
 * stream and kept in the history. The writes they hold for approval run through `approvalTools`, which the model is
 * never offered, so only the user's approval can run them.
 */
export interface DirectCommands {
  /** The command this message is, ready to run, or undefined for an ordinary message. */
  match(message: string): ((scope: TurnScope) => Promise<string>) | undefined;
  /** Tools that run approved writes these commands held. */
  approvalTools(scope: TurnScope): readonly Tool[];
}

/** Withheld GitHub writes: the session's trust mark, where writes wait, and how a withheld call is stored. */
export interface PendingWritesDeps {
  store: PendingWriteStore;
  trust: SessionTrust;
  hold: HoldWrite;
}

/**
 * A bound on turns (and optionally tokens) per user: charged once per turn that may call the model, before it does;
 * the tokens every turn used are added after it.
 */
export interface TurnBudget {
  /**
   * Counts the turn, or refuses it when the hour's turns or tokens are spent.
   * @throws when the budget's store fails (the turn then goes ahead: see {@link chargeBudget})
   */
  charge(userId: string): Promise<{ ok: true } | BudgetRefusal>;
  /** Adds a finished turn's model tokens; absent when tokens are not bounded. */
  chargeTokens?(userId: string, tokens: number): Promise<void>;
}

export interface BudgetRefusal {
  ok: false;
  /** Which hourly limit is spent. */
  kind: 'turns' | 'tokens';
  /** Turns (or tokens) allowed per hour. */
  limit: number;
  resetsAt: Date;
  /** Whole minutes until `resetsAt`, rounded up. */
  resetsInMinutes: number;
}

export interface ChatTurnDeps {
  model: ModelPort;
  sessions: Pick<SessionStore, 'open' | 'loadRecent' | 'append'>;
  /** Where a started browser consent is bound to its user and secret state (checked by /oauth/complete). */
  consents: Pick<ConsentBindings, 'remember'>;
  limits: AgentLimits & { historyTokenBudget: number };
  /** The system prompt, rendered once at cold start. */
  systemPrompt: string;
  /** The tools and their specs, built once per cold start and shared by every user's turns. */
  tools: ToolSet;
  /**
   * What this turn's tools find in their context besides who and where: values bound to this user for this turn only
   * (their GitHub access). Called once per turn; absent, tools get no per-turn values.
   */
  bindTurn?(scope: TurnScope): TurnBinding;
  planCommands?: PlanCommands;
  directCommands?: DirectCommands;
  /** Absent: after the session reads text written by others, GitHub writes are refused outright. */
  pendingWrites?: PendingWritesDeps;
  newSessionId(): string;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Absent: nothing is measured. */
  metrics?: MetricsPort;
  /** With `metrics`: `model` is not metered per call; the turn's metrics line carries its calls' tokens and cost. */
  meterModelCalls?: { price?: ModelPrice };
  /** Absent (or USER_TURNS_PER_HOUR=0): turns are not bounded per user. */
  budget?: TurnBudget;
}

/** The per-turn values of a {@link ToolContext}. */
export type TurnBinding = Pick<ToolContext, 'github' | 'onUsage'>;

export interface ChatTurnInput {
  userId: string;
  /** Absent: a new session is created and announced. An id the caller never used starts a session under it. */
  sessionId?: string;
  message: string;
  /** An action from the request body; a plain "approve"/"cancel"/"yes"/"no" message is recognised too. */
  command?: PendingCommand;
  returnUrl?: string;
  emit: Emit;
  remainingMs: () => number;
  signal?: AbortSignal;
  /** Takes the tokens of the turn's model calls made outside the agent loop (set by the token budget). */
  onUsage?: (usage: TokenUsage) => void;
}

/**
 * One chat turn from a validated request to a saved session: announces the session, loads its recent history, runs
 * the agent loop, streams the outcome, and saves the turn (one item per message). Never throws: every failure ends as
 * an `error` event. The caller emits `done`.
 */
export async function runChatTurn(deps: ChatTurnDeps, input: ChatTurnInput): Promise<void> {
  // Measured from outside (its events and model calls), so the turn's own code never mentions metrics.
  if (deps.metrics) return meterTurn(deps.metrics, runChatTurn, { ...deps, metrics: undefined }, input);
  if (deps.budget?.chargeTokens) return chargingTokens(deps, input, deps.budget);
  const { logger } = deps;
  const { emit } = input;
  const isNew = input.sessionId === undefined;
  const sessionId = input.sessionId ?? deps.newSessionId();
  emit({ type: 'session', session_id: sessionId });

  // An approve/cancel (or a direct command) needs the session to exist, not its history.
  const direct = input.command ? undefined : deps.directCommands?.match(input.message);
  let command = input.command ?? (direct ? undefined : parseCommand(deps, input.message));
  let charge: Promise<BudgetRefusal | undefined> | undefined;
  let history: ChatMessage[];
  // What the session was when the turn began (null: new), so the save can write its summary in the same batch.
  let previous: SessionSummary | null = null;
  let untrusted = false;
  try {
    if (command?.confirmation) {
      const pending = !isNew && (await somethingPending(deps, { userId: input.userId, sessionId, emit }));
      if (!pending) command = undefined;
    }
    // The budget is charged while the history loads (one round trip, not two, before the first model call);
    // approve/cancel finish earlier work and are never counted.
    charge = !command && !direct && deps.budget ? chargeBudget(deps.budget, logger, input.userId) : undefined;
    if (isNew) {
      history = [];
    } else {
      const [summary, recent, marked] = await Promise.all([
        deps.sessions.open(input.userId, sessionId),
        command || direct
          ? []
          : deps.sessions.loadRecent(input.userId, sessionId, deps.limits.historyTokenBudget),
        command || direct || !deps.pendingWrites
          ? false
          : deps.pendingWrites.trust.isUntrusted(input.userId, sessionId),
      ]);
      untrusted = marked;
      // A well-formed id this caller never used (client-chosen, or expired) starts a new session under it. Keys are
      // scoped by user, so another user's id is just a new, separate session for this caller.
      previous = summary ?? null;
      history = summary ? recent : [];
    }
  } catch (error) {
    logger.error('Loading the session failed', { sessionId, error: describe(error) });
    emit({
      type: 'error',
      code: storageErrorCode(error),
      message: 'The conversation could not be loaded; try again.',
    });
    return;
  }

  const userMessage: ChatMessage = { role: 'user', content: [{ text: input.message }] };
  const scope: TurnScope = {
    userId: input.userId,
    sessionId,
    returnUrl: input.returnUrl,
    emit,
    ...(input.onUsage ? { onUsage: input.onUsage } : {}),
  };
  if (direct) {
    await runCommand(deps, { input, scope, run: () => direct(scope), userMessage, previous });
    return;
  }
  const pending = command;
  if (pending) {
    await runCommand(deps, {
      input,
      scope,
      run: (signal) => routeCommand(deps, scope, pending, signal),
      userMessage,
      previous,
    });
    return;
  }

  const refusal = await charge;
  if (refusal) {
    emit({ type: 'error', code: 'rate_limited', message: rateLimitMessage(refusal) });
    return;
  }

  const pendingWrites = deps.pendingWrites;
  const result = await runAgentTurn(
    { model: deps.model, limits: deps.limits, logger },
    {
      system: deps.systemPrompt,
      history,
      userMessage,
      tools: deps.tools,
      context: { userId: input.userId, sessionId, signal: input.signal, ...deps.bindTurn?.(scope) },
      emit,
      remainingMs: input.remainingMs,
      writeGate: pendingWrites && {
        untrusted,
        hold: (toolName, toolInput, summary) =>
          pendingWrites.hold({ userId: input.userId, sessionId, toolName, toolInput, summary }),
      },
    },
  );

  // A first mark is written before the turn is kept: a history holding others' text must never lack it, so if it
  // cannot be written the turn is not kept (fail closed). An existing mark is only refreshed (its expiry follows the
  // session's), alongside the save.
  let refreshMark: Promise<void> | undefined;
  if (untrusted && pendingWrites) {
    refreshMark = pendingWrites.trust.markUntrusted(input.userId, sessionId).catch((error: unknown) => {
      logger.warn('Refreshing the untrusted mark failed (the existing mark stays)', {
        error: describe(error),
      });
    });
  } else if (result.readUntrusted && pendingWrites) {
    try {
      await pendingWrites.trust.markUntrusted(input.userId, sessionId);
    } catch (error) {
      logger.error('Marking the session untrusted failed', { sessionId, error: describe(error) });
      emit({
        type: 'error',
        code: storageErrorCode(error),
        message: 'This reply could not be saved to the conversation history; ask again in a new message.',
      });
      return;
    }
  }

  const { outcome } = result;
  if (outcome.kind === 'consent') {
    await Promise.all([askForConsent(deps, scope, outcome.consent, previous), refreshMark]);
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
  await Promise.all([save(deps, scope, messages, previous), refreshMark]);
}

/**
 * Charges one turn to the user's budget: the refusal when it is spent, else undefined. A failing budget store lets the
 * turn through (logged): the bound is a cost control, and a DynamoDB hiccup must not stop everyone from chatting; the
 * turn's own session reads and writes still fail it when storage is really down.
 */
async function chargeBudget(
  budget: TurnBudget,
  logger: ChatTurnDeps['logger'],
  userId: string,
): Promise<BudgetRefusal | undefined> {
  try {
    const charged = await budget.charge(userId);
    return charged.ok ? undefined : charged;
  } catch (error) {
    logger.warn('Charging the turn budget failed; the turn goes ahead uncounted', { error: describe(error) });
    return undefined;
  }
}

/**
 * Runs the turn counting the tokens of every model call made for it (the agent loop's and the review's), then adds
 * them to the user's hourly budget, whatever the turn's outcome. A failing budget store is logged, never the turn's
 * failure (see {@link chargeBudget}).
 */
async function chargingTokens(deps: ChatTurnDeps, input: ChatTurnInput, budget: TurnBudget): Promise<void> {
  let tokens = 0;
  const count = (usage: TokenUsage) => {
    tokens += usageTokens(usage);
  };
  try {
    await runChatTurn(
      {
        ...deps,
        model: observeUsage(deps.model, count),
        budget: { charge: (userId) => budget.charge(userId) },
      },
      { ...input, onUsage: count },
    );
  } finally {
    if (tokens > 0) {
      await budget.chargeTokens?.(input.userId, tokens).catch((error: unknown) => {
        deps.logger.warn('Charging the token budget failed; the turn stays uncounted', {
          error: describe(error),
        });
      });
    }
  }
}

/** What a model call counts against the token budget: everything it read (cached or not) and wrote. */
function usageTokens(usage: TokenUsage): number {
  return (
    usage.inputTokens +
    usage.outputTokens +
    (usage.cacheReadInputTokens ?? 0) +
    (usage.cacheWriteInputTokens ?? 0)
  );
}

function rateLimitMessage(refusal: BudgetRefusal): string {
  return loadPrompt(refusal.kind === 'tokens' ? 'rate-limited-tokens' : 'rate-limited', {
    limit: refusal.limit,
    resets_at: refusal.resetsAt.toISOString(),
    minutes: refusal.resetsInMinutes,
  }).trim();
}

/** A message that is an approve/cancel (or yes/no), or undefined for an ordinary message. */
function parseCommand(deps: ChatTurnDeps, message: string): PendingCommand | undefined {
  const plan = deps.planCommands?.parse(message);
  if (plan) return { type: plan.type, ...(plan.planId === undefined ? {} : { id: plan.planId }) };
  const confirmation = deps.pendingWrites ? parseConfirmation(message) : undefined;
  return confirmation && { ...confirmation, confirmation: true };
}

/** Whether a plan or a withheld write of this session waits for the user's decision. */
async function somethingPending(deps: ChatTurnDeps, scope: TurnScope): Promise<boolean> {
  const [writes, plans] = await Promise.all([
    deps.pendingWrites?.store.listPending(scope.userId, scope.sessionId) ?? [],
    deps.planCommands?.listPending(scope) ?? [],
  ]);
  return writes.length > 0 || plans.length > 0;
}

/** Runs an approve/cancel (or a direct command) in this stream and keeps the exchange in the history. */
async function runCommand(
  deps: ChatTurnDeps,
  turn: {
    input: ChatTurnInput;
    scope: TurnScope;
    run: (signal: AbortSignal) => Promise<string>;
    userMessage: ChatMessage;
    previous: SessionSummary | null;
  },
): Promise<void> {
  // The review must stop (and post nothing) before the invocation's time runs out.
  const budget = AbortSignal.timeout(Math.max(1, turn.input.remainingMs() - deps.limits.reserveMs));
  const signal = turn.input.signal ? AbortSignal.any([turn.input.signal, budget]) : budget;
  let reply: string;
  try {
    reply = await turn.run(signal);
  } catch (error) {
    if (error instanceof ConsentRequiredError) return askForConsent(deps, turn.scope, error, turn.previous);
    if (!(error instanceof ActionError)) throw error;
    turn.scope.emit({ type: 'error', code: error.code, message: error.message });
    reply = error.message;
  }
  const answer: ChatMessage = { role: 'assistant', content: [{ text: reply || '(no reply)' }] };
  await save(deps, turn.scope, [turn.userMessage, answer], turn.previous);
}

/**
 * Sends the command to what it names: a withheld write (`w_…`) or a review plan. Without an id it applies to the
 * session's only pending item; with both a plan and a write waiting it asks which, and changes nothing.
 */
async function routeCommand(
  deps: ChatTurnDeps,
  scope: TurnScope,
  command: PendingCommand,
  signal: AbortSignal,
): Promise<string> {
  const writes = deps.pendingWrites;
  const plans = deps.planCommands;
  const runWrite = (actionId: string) => {
    if (!writes) throw new Error('withheld writes are not configured');
    return runWriteCommand(
      { writes: writes.store, logger: deps.logger },
      {
        type: command.type,
        actionId,
        tools: [...deps.tools.tools, ...(deps.directCommands?.approvalTools(scope) ?? [])],
        context: {
          userId: scope.userId,
          sessionId: scope.sessionId,
          emit: scope.emit,
          signal,
          ...deps.bindTurn?.(scope),
        },
      },
    );
  };
  const runPlan = (planId?: string) => {
    if (!plans) throw new ActionError('plan_not_found', 'Review plans are not available here.');
    return plans.run(scope, { type: command.type, ...(planId === undefined ? {} : { planId }) }, signal);
  };

  if (command.id !== undefined) {
    return writes && command.id.startsWith(WRITE_ID_PREFIX) ? runWrite(command.id) : runPlan(command.id);
  }
  const waitingWrites = writes ? await writes.store.listPending(scope.userId, scope.sessionId) : [];
  if (waitingWrites.length === 0) return runPlan();
  const waitingPlans = plans ? await plans.listPending(scope) : [];
  const [only] = waitingWrites;
  if (waitingPlans.length === 0 && waitingWrites.length === 1 && only) return runWrite(only.actionId);
  const items = [
    ...waitingPlans.map((plan) => `- ${plan.id}: ${plan.description}`),
    ...waitingWrites.map((write) => `- ${write.actionId}: ${write.summary}`),
  ];
  const text = loadPrompt('pending-command-which', {
    action: command.type,
    example: waitingWrites[0]?.actionId ?? '',
    items: items.join('\n'),
  }).trim();
  scope.emit({ type: 'token', content: text });
  return text;
}

/**
 * Streams the consent link. The turn is not saved (the client re-sends the message after consenting) but the session
 * is, so the re-sent message can continue it. A browser consent is first bound to this user and its secret state.
 */
async function askForConsent(
  deps: ChatTurnDeps,
  scope: TurnScope,
  consent: ConsentRequiredError,
  previous: SessionSummary | null,
): Promise<void> {
  try {
    if (consent.userCode === undefined) {
      await deps.consents.remember(scope.userId, consent.sessionUri, consent.state);
    }
  } catch (error) {
    deps.logger.error('Saving the consent binding failed', { error: describe(error) });
    scope.emit({
      type: 'error',
      code: storageErrorCode(error),
      message: 'The GitHub authorization could not be started; try again.',
    });
    return;
  }
  await deps.sessions.append(scope.userId, scope.sessionId, [], previous).catch((error: unknown) => {
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
async function save(
  deps: ChatTurnDeps,
  scope: TurnScope,
  messages: ChatMessage[],
  previous: SessionSummary | null,
): Promise<void> {
  try {
    await deps.sessions.append(scope.userId, scope.sessionId, messages, previous);
  } catch (error) {
    deps.logger.error('Saving the turn failed', { sessionId: scope.sessionId, error: describe(error) });
    scope.emit({
      type: 'error',
      code: storageErrorCode(error),
      message:
        'The reply could not be saved to the conversation history; the next message may lack this context.',
    });
  }
}

/** DynamoDB that did not answer in time is a `dependency_timeout`; any other storage failure a `storage_error`. */
function storageErrorCode(error: unknown): ErrorCode {
  return isDependencyTimeout(error) ? 'dependency_timeout' : 'storage_error';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
