import type { ReceivedEvent } from '../../events';
import { button, compactJson, h, prettyJson } from './dom';
import { link, renderMarkdown } from './render';

type EventOf<T extends ReceivedEvent['type']> = Extract<ReceivedEvent, { type: T }>;

/** What a turn's cards ask the page to do. */
export interface TurnActions {
  /** Approve or cancel a plan (`plan_id`) or a withheld write (`action_id`), as a new turn. */
  act(type: 'approve' | 'cancel', target: { plan_id: string } | { action_id: string }, label: string): void;
  /** Sends this turn's request again (after a consent, or on Retry). */
  resend(): void;
  consentStart(stateHash: string, sessionUri: string): Promise<void>;
  consentWait(stateHash: string): Promise<void>;
}

/** One turn on the page: the user's line, then the answer's text, tool calls and cards as events arrive. */
export interface TurnView {
  readonly element: HTMLElement;
  event(event: ReceivedEvent): void;
  /** The stream ended with `done`. */
  finish(): void;
  /** The turn could not finish: say why, with a Retry button. */
  fail(message: string): void;
}

/** Cards that later turns update: a plan's card and its progress, by plan id. Cleared with the log. */
const planCards = new Map<string, HTMLElement>();
const progressCards = new Map<string, ProgressCard>();

/** Forgets the cards of the log that was just cleared. */
export function resetCards(): void {
  planCards.clear();
  progressCards.clear();
}

/** Creates a turn for `label` (the user's message, or what a button did). */
export function createTurnView(label: string, kind: 'message' | 'action', actions: TurnActions): TurnView {
  const answer = h('div', { class: 'answer' });
  const element = h(
    'article',
    { class: 'turn', 'data-state': 'streaming', 'aria-busy': 'true' },
    h('p', { class: kind === 'message' ? 'user' : 'user action' }, label),
    answer,
  );
  let text: { node: HTMLElement; markdown: string; scheduled: boolean } | undefined;
  const tools: Array<{ name: string; status: HTMLElement; result: HTMLElement; done: boolean }> = [];
  let consentPending: Promise<void> | undefined;
  let finished = false;

  const endText = () => {
    text = undefined;
  };
  const add = (node: HTMLElement) => {
    endText();
    answer.append(node);
  };

  const token = (content: string) => {
    if (!text) {
      text = { node: h('div', { class: 'md' }), markdown: '', scheduled: false };
      answer.append(text.node);
    }
    const current = text;
    current.markdown += content;
    // Re-render at most once a frame: streaming stays smooth on long answers.
    if (current.scheduled) return;
    current.scheduled = true;
    requestAnimationFrame(() => {
      current.scheduled = false;
      current.node.replaceChildren(...renderMarkdown(current.markdown));
    });
  };

  const toolUse = (event: EventOf<'tool_use'>) => {
    const status = h('span', { class: 'tool-status', 'aria-label': 'running' }, '…');
    const result = h('p', { class: 'tool-result' }, 'Running…');
    add(
      h(
        'details',
        { class: 'tool' },
        h(
          'summary',
          {},
          h('span', { class: 'tool-name' }, event.tool_name),
          ' ',
          h('code', {}, compactJson(event.tool_input)),
          ' ',
          status,
        ),
        h('pre', {}, h('code', {}, prettyJson(event.tool_input))),
        result,
      ),
    );
    tools.push({ name: event.tool_name, status, result, done: false });
  };

  const toolResult = (event: EventOf<'tool_result'>) => {
    const tool = tools.find((item) => item.name === event.tool_name && !item.done);
    if (!tool) return;
    tool.done = true;
    const withheld = !event.ok && event.summary.startsWith('withheld');
    const [mark, state] = withheld ? ['‖', 'withheld'] : event.ok ? ['✓', 'ok'] : ['✗', 'failed'];
    tool.status.textContent = `${mark} ${event.summary}`;
    tool.status.setAttribute('aria-label', state);
    tool.status.dataset.state = state;
    tool.result.textContent = event.summary;
  };

  const consent = (event: EventOf<'oauth_url'>) => {
    const status = h('p', { class: 'card-status', role: 'status' }, 'Getting ready…');
    const open = h('p', { class: 'card-actions' });
    const card = h(
      'section',
      { class: 'card consent', 'aria-label': 'GitHub authorization' },
      h('h3', {}, 'GitHub needs your permission'),
      event.user_code
        ? h(
            'p',
            {},
            'Open GitHub and enter the code ',
            h('code', { class: 'user-code' }, event.user_code),
            '.',
          )
        : h(
            'p',
            {},
            'Open GitHub to let the agent act as you; this page continues by itself when you are back.',
          ),
      open,
      status,
    );
    add(card);
    const showLink = () => open.replaceChildren(link(event.url, ['Open GitHub']));
    const setState = (state: string, message: string) => {
      card.dataset.state = state;
      status.textContent = message;
    };
    if (event.user_code) {
      showLink();
      open.append(
        ' ',
        button('I have entered the code', () => {
          setState('completed', 'Checking with GitHub…');
          actions.resend();
        }),
      );
      setState('waiting', 'Waiting for you to enter the code.');
      return;
    }
    consentPending = (async () => {
      try {
        // Listen before showing the link, so a fast browser never finds the return port closed.
        await actions.consentStart(event.state_hash, event.session_uri);
        showLink();
        open.querySelector('a')?.classList.add('button', 'primary', 'consent-link');
        setState('waiting', 'Waiting for GitHub…');
        await actions.consentWait(event.state_hash);
        setState('completed', 'GitHub connected. Sending your message again…');
      } catch (error) {
        setState(
          'failed',
          `The authorization did not complete: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      }
    })();
  };

  const plan = (event: EventOf<'plan'>) => {
    const approve = button('Approve', () => decide('approve'), {
      class: 'primary',
      'aria-label': `Approve plan ${event.plan_id}`,
    });
    const cancel = button('Cancel', () => decide('cancel'), { 'aria-label': `Cancel plan ${event.plan_id}` });
    const status = h('p', { class: 'card-status', role: 'status' }, 'Waiting for your decision.');
    const card = h(
      'section',
      {
        class: 'card plan',
        'aria-label': 'Review plan',
        'data-state': 'pending',
        'data-plan-id': event.plan_id,
      },
      h('h3', {}, 'Review plan'),
      h('p', { class: 'objective' }, event.plan.objective),
      h('h4', {}, 'Steps'),
      h('ol', {}, ...event.plan.steps.map((step) => h('li', {}, step))),
      event.plan.risks.length > 0 && h('h4', {}, 'Risks'),
      event.plan.risks.length > 0 && h('ul', {}, ...event.plan.risks.map((risk) => h('li', {}, risk))),
      h('p', { class: 'estimate' }, `Estimated time: ${formatMinutes(event.plan.estimated_time_minutes)}`),
      h('p', { class: 'card-actions' }, approve, ' ', cancel),
      status,
    );
    const decide = (type: 'approve' | 'cancel') => {
      approve.disabled = true;
      cancel.disabled = true;
      card.dataset.state = type === 'approve' ? 'approving' : 'cancelling';
      status.textContent = type === 'approve' ? 'Approved: starting the review…' : 'Cancelling…';
      actions.act(
        type,
        { plan_id: event.plan_id },
        `${type === 'approve' ? 'Approve' : 'Cancel'} the review plan`,
      );
    };
    planCards.set(event.plan_id, card);
    add(card);
  };

  const status = (event: EventOf<'status'>) => {
    let card = progressCards.get(event.plan_id);
    if (!card) {
      card = createProgressCard(event.plan_id);
      progressCards.set(event.plan_id, card);
      add(card.element);
    }
    card.update(event);
    const planCard = planCards.get(event.plan_id);
    if (planCard) {
      planCard.dataset.state = event.status;
      const line = planCard.querySelector('.card-status');
      if (line) line.textContent = `Plan ${event.status}.`;
      for (const control of planCard.querySelectorAll('button'))
        control.disabled = event.status !== 'pending';
    }
  };

  const reviewPosted = (event: EventOf<'review_posted'>) => {
    const target = progressCards.get(event.plan_id)?.element ?? answer;
    target.append(h('p', { class: 'review-posted' }, '✓ Review posted: ', link(event.url, [event.url])));
    target.querySelector('.review-posted a')?.classList.add('review-link');
  };

  const writePending = (event: EventOf<'write_pending'>) => {
    const approve = button('Approve', () => decide('approve'), {
      class: 'primary',
      'aria-label': `Approve ${event.tool_name}`,
    });
    const cancel = button('Cancel', () => decide('cancel'), { 'aria-label': `Cancel ${event.tool_name}` });
    const status = h(
      'p',
      { class: 'card-status', role: 'status' },
      `Waiting for your decision (until ${formatTime(event.expires_at)}).`,
    );
    const card = h(
      'section',
      {
        class: 'card write',
        'aria-label': 'GitHub write to confirm',
        'data-state': 'pending',
        'data-action-id': event.action_id,
      },
      h('h3', {}, 'Confirm a GitHub write'),
      h('p', {}, event.summary),
      h(
        'details',
        {},
        h('summary', {}, h('code', {}, event.tool_name), ' ', compactJson(event.tool_input, 60)),
        h('pre', {}, h('code', {}, prettyJson(event.tool_input))),
      ),
      h('p', { class: 'card-actions' }, approve, ' ', cancel),
      status,
    );
    const decide = (type: 'approve' | 'cancel') => {
      approve.disabled = true;
      cancel.disabled = true;
      card.dataset.state = type === 'approve' ? 'approved' : 'cancelled';
      status.textContent = type === 'approve' ? 'Approved.' : 'Cancelled.';
      actions.act(
        type,
        { action_id: event.action_id },
        `${type === 'approve' ? 'Approve' : 'Cancel'} ${event.tool_name}`,
      );
    };
    add(card);
  };

  const error = (event: EventOf<'error'>) => {
    add(
      h(
        'section',
        { class: 'card error', role: 'alert' },
        h('h3', {}, 'Something went wrong'),
        h('p', {}, event.message, ' ', h('code', {}, event.code)),
        h(
          'p',
          { class: 'card-actions' },
          button('Retry', () => actions.resend(), { 'aria-label': 'Retry this message' }),
        ),
      ),
    );
  };

  const settle = (state: 'done' | 'error') => {
    finished = true;
    element.dataset.state = state;
    element.removeAttribute('aria-busy');
    if (text) {
      const last = text;
      last.node.replaceChildren(...renderMarkdown(last.markdown));
    }
  };

  return {
    element,
    event(event) {
      if (finished) return;
      switch (event.type) {
        case 'token':
          return token(event.content);
        case 'tool_use':
          return toolUse(event);
        case 'tool_result':
          return toolResult(event);
        case 'oauth_url':
          return consent(event);
        case 'plan':
          return plan(event);
        case 'status':
          return status(event);
        case 'review_posted':
          return reviewPosted(event);
        case 'write_pending':
          return writePending(event);
        case 'error':
          return error(event);
        case 'session':
        case 'done':
          return;
      }
    },
    finish() {
      settle(element.querySelector('.card.error') ? 'error' : 'done');
      // A browser consent re-sends the message once GitHub is connected (and only then).
      consentPending?.then(() => actions.resend()).catch(() => undefined);
    },
    fail(message) {
      add(
        h(
          'section',
          { class: 'card error lost', role: 'alert' },
          h('h3', {}, 'Connection problem'),
          h('p', {}, message),
          h(
            'p',
            { class: 'card-actions' },
            button('Retry', () => actions.resend(), { 'aria-label': 'Retry this message' }),
          ),
        ),
      );
      settle('error');
    },
  };
}

interface ProgressCard {
  element: HTMLElement;
  update(event: EventOf<'status'>): void;
}

function createProgressCard(planId: string): ProgressCard {
  const bar = h('progress', { max: '100', value: '0', 'aria-label': 'Review progress' });
  const label = h('p', { class: 'progress-label', role: 'status' });
  const issues = h('ul', { class: 'issues' });
  const element = h(
    'section',
    { class: 'card progress', 'aria-label': 'Review progress', 'data-plan-id': planId },
    h('h3', {}, 'Review'),
    bar,
    label,
    issues,
  );
  return {
    element,
    update(event) {
      // As the terminal shows it: 0–100, or a fraction from an older server.
      const raw = event.progress <= 1 ? event.progress * 100 : event.progress;
      const shown = Math.max(0, Math.min(100, Math.round(raw)));
      bar.value = shown;
      bar.setAttribute('value', String(shown));
      element.dataset.state = event.status;
      label.textContent = `${event.status}: ${event.current_step} (${shown} %)`;
      issues.replaceChildren(...event.issues.map((issue) => h('li', {}, issue)));
    },
  };
}

function formatMinutes(minutes: number): string {
  return minutes < 1
    ? 'under a minute'
    : `about ${Math.round(minutes)} minute${Math.round(minutes) === 1 ? '' : 's'}`;
}

function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}
