/**
 * The chat page (served by `npm run chat -- --web`): streams turns from the page server's `/api/chat/stream`, shows
 * consent, plan, progress and write-confirmation cards, and lists the user's sessions. Every request carries this
 * run's token, read once from the URL fragment and kept in sessionStorage (the fragment is removed from the address).
 */
import type { ChatRequest } from '../../../../lambdas/chat/protocol';
import { type Api, ApiError, createApi, type SessionDetail } from './api';
import { button, h } from './dom';
import { renderMarkdown } from './render';
import { createSessionList } from './sessions';
import { createTurnView, resetCards, type TurnActions } from './turn';

const TOKEN_KEY = 'coding-agent-web-token';

/** A request a turn sends; `session_id` is added when it is sent, so a retry uses the current session. */
type TurnRequest =
  | { kind: 'message'; message: string }
  | {
      kind: 'action';
      action: { type: 'approve' | 'cancel'; plan_id?: string; action_id?: string };
      label: string;
    };

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

/** Reads the token (and an optional session) from the fragment, then removes the fragment from the address bar. */
function readFragment(): { token: string | undefined; session: string | undefined } {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromHash = params.get('token') ?? undefined;
  if (fromHash) sessionStorage.setItem(TOKEN_KEY, fromHash);
  if (location.hash) history.replaceState(null, '', location.pathname);
  return {
    token: fromHash ?? sessionStorage.getItem(TOKEN_KEY) ?? undefined,
    session: params.get('session') ?? undefined,
  };
}

function start(): void {
  const log = element<HTMLDivElement>('log');
  const form = element<HTMLFormElement>('composer');
  const input = element<HTMLTextAreaElement>('message');
  const send = element<HTMLButtonElement>('send');
  const connection = element<HTMLParagraphElement>('connection');
  const { token, session } = readFragment();
  if (!token) {
    connection.textContent = 'No page token.';
    log.replaceChildren(
      h(
        'section',
        { class: 'card error', role: 'alert' },
        h('h3', {}, 'Open the address the terminal printed'),
        h(
          'p',
          {},
          'This page only works from the address `npm run chat -- --web` printed: it carries the page token.',
        ),
      ),
    );
    send.disabled = true;
    return;
  }
  const api: Api = createApi(token);
  let sessionId: string | undefined = session;
  let busy = false;

  const sessions = createSessionList(element('sessions'), api, {
    onOpen: (id) => void openSession(id),
    onNew: () => {
      if (busy) return;
      sessionId = undefined;
      resetCards();
      log.replaceChildren();
      sessions.select(undefined);
      input.focus();
    },
  });

  const setBusy = (value: boolean) => {
    busy = value;
    send.disabled = value;
    form.setAttribute('aria-busy', String(value));
  };

  const bodyOf = (request: TurnRequest): ChatRequest | undefined => {
    if (request.kind === 'message') {
      return { message: request.message, ...(sessionId ? { session_id: sessionId } : {}) };
    }
    if (!sessionId) return undefined;
    const { type, plan_id, action_id } = request.action;
    return {
      session_id: sessionId,
      action: { type, ...(plan_id ? { plan_id } : {}), ...(action_id ? { action_id } : {}) },
    };
  };

  // One turn at a time, in order: a card's button pressed while a turn still streams waits for it to end.
  let queue: Promise<void> = Promise.resolve();
  const runTurn = (request: TurnRequest): Promise<void> => {
    queue = queue.catch(() => undefined).then(() => runTurnNow(request));
    return queue;
  };

  const runTurnNow = async (request: TurnRequest): Promise<void> => {
    const actions: TurnActions = {
      act: (type, target, label) => void runTurn({ kind: 'action', action: { type, ...target }, label }),
      resend: () => void runTurn(request),
      consentStart: (stateHash, sessionUri) => api.consentStart(stateHash, sessionUri),
      consentWait: (stateHash) => api.consentWait(stateHash),
    };
    const label = request.kind === 'message' ? request.message : request.label;
    const view = createTurnView(label, request.kind, actions);
    log.append(view.element);
    view.element.scrollIntoView({ block: 'end' });
    const body = bodyOf(request);
    if (!body) {
      view.fail('There is no session to act in: continue one from the list.');
      return;
    }
    setBusy(true);
    try {
      const end = await api.stream(body, (event) => {
        if (event.type === 'session') {
          sessionId = event.session_id;
          sessions.select(sessionId);
        }
        view.event(event);
        view.element.scrollIntoView({ block: 'end' });
      });
      if (end === 'done') view.finish();
      else view.fail('The connection was lost before the answer finished. Retry sends it again.');
    } catch (error) {
      view.fail(error instanceof ApiError ? error.message : `Unexpected failure: ${String(error)}`);
    } finally {
      setBusy(false);
      void sessions.refresh();
    }
  };

  const showHistory = (detail: SessionDetail) => {
    resetCards();
    log.replaceChildren();
    for (const message of detail.messages) {
      log.append(
        h(
          'article',
          { class: 'turn past', 'data-state': 'done' },
          message.role === 'user'
            ? h('p', { class: 'user' }, message.text)
            : h('div', { class: 'answer' }, h('div', { class: 'md' }, ...renderMarkdown(message.text))),
        ),
      );
    }
    for (const pending of detail.pending) {
      const target = pending.kind === 'plan' ? { plan_id: pending.id } : { action_id: pending.id };
      const what = pending.kind === 'plan' ? 'review plan' : 'GitHub write';
      const card = h(
        'section',
        { class: `card pending ${pending.kind}`, 'data-state': 'pending', 'aria-label': `Pending ${what}` },
        h('h3', {}, `Pending ${what}`),
        h('p', {}, pending.summary),
      );
      const decide = (type: 'approve' | 'cancel') => {
        for (const control of card.querySelectorAll('button')) control.disabled = true;
        card.dataset.state = type;
        void runTurn({
          kind: 'action',
          action: { type, ...target },
          label: `${type === 'approve' ? 'Approve' : 'Cancel'} the ${what}`,
        });
      };
      card.append(
        h(
          'p',
          { class: 'card-actions' },
          button('Approve', () => decide('approve'), {
            class: 'primary',
            'aria-label': `Approve ${what} ${pending.id}`,
          }),
          ' ',
          button('Cancel', () => decide('cancel'), { 'aria-label': `Cancel ${what} ${pending.id}` }),
        ),
      );
      log.append(card);
    }
    log.lastElementChild?.scrollIntoView({ block: 'end' });
  };

  const openSession = async (id: string, initial = false): Promise<void> => {
    if (busy) return;
    try {
      const detail = await api.session(id);
      sessionId = detail.session_id;
      sessions.select(sessionId);
      showHistory(detail);
      input.focus();
    } catch (error) {
      // `--session <new id>`: nothing stored yet, so the first message starts the session under that id.
      if (initial && error instanceof ApiError && error.status === 404) return;
      log.append(
        h(
          'section',
          { class: 'card error', role: 'alert' },
          h('p', {}, `Could not open the session: ${error instanceof Error ? error.message : String(error)}`),
        ),
      );
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const message = input.value.trim();
    if (!message || busy) return;
    input.value = '';
    void runTurn({ kind: 'message', message });
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  api
    .info()
    .then((info) => {
      connection.textContent = `Connected to ${info.chat_url}${info.signed ? ' (signed with your AWS credentials)' : ''}`;
    })
    .catch((error: unknown) => {
      connection.textContent = `The page server does not answer: ${error instanceof Error ? error.message : String(error)}`;
    });
  void sessions.refresh();
  if (sessionId) void openSession(sessionId, true);
  document.body.dataset.ready = 'true';
  input.focus();
}

start();
