import type { Api, SessionSummary } from './api';
import { button, h } from './dom';

/** The sidebar: the user's recent sessions, newest first; picking one continues it. */
export interface SessionList {
  refresh(): Promise<void>;
  /** Marks the session being talked in. */
  select(sessionId: string | undefined): void;
}

/** Creates the sidebar in `container`; `onOpen` continues a session, `onNew` starts an empty chat. */
export function createSessionList(
  container: HTMLElement,
  api: Api,
  handlers: { onOpen: (sessionId: string) => void; onNew: () => void },
): SessionList {
  const list = h('ul', { class: 'session-list' });
  const status = h('p', { class: 'sessions-status', role: 'status' });
  let current: string | undefined;
  container.replaceChildren(
    h('h2', {}, 'Sessions'),
    button('New chat', handlers.onNew, { class: 'new-chat', 'aria-label': 'Start a new chat' }),
    list,
    status,
  );

  const mark = () => {
    for (const item of list.querySelectorAll<HTMLButtonElement>('button.session')) {
      if (item.dataset.sessionId === current) item.setAttribute('aria-current', 'true');
      else item.removeAttribute('aria-current');
    }
  };
  const entry = (session: SessionSummary) =>
    h(
      'li',
      {},
      (() => {
        const open = button('', () => handlers.onOpen(session.session_id), {
          class: 'session',
          'data-session-id': session.session_id,
          title: session.session_id,
        });
        open.append(
          h('span', { class: 'session-title' }, session.title || '(untitled)'),
          h(
            'span',
            { class: 'session-meta' },
            `${relativeTime(session.updated_at)} · ${session.message_count} messages`,
          ),
        );
        return open;
      })(),
    );

  const refresh = async (): Promise<void> => {
    try {
      const sessions = await api.sessions();
      list.replaceChildren(...sessions.map(entry));
      status.replaceChildren(sessions.length === 0 ? 'No sessions yet.' : '');
      mark();
    } catch (error) {
      status.replaceChildren(
        `Could not load the sessions: ${error instanceof Error ? error.message : String(error)} `,
        button('Retry', () => void refresh(), { 'aria-label': 'Retry loading the sessions' }),
      );
    }
  };

  return {
    refresh,
    select(sessionId) {
      current = sessionId;
      mark();
    },
  };
}

function relativeTime(iso: string): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const minutes = Math.round((Date.now() - then) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(iso).toLocaleDateString();
}
