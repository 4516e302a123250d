import type { ChatMessage } from '../agent/model';
import { formatRef } from '../review/plan';
import type { PlanStore } from '../review/ports';
import type { SessionStore } from '../sessions/messages';
import type { PendingWriteStore } from '../writes/ports';
import type { SessionList, SessionView } from './protocol';

/** What `GET /sessions` and `GET /sessions/{id}` read: the caller's session index, messages and pending items. */
export interface SessionViewDeps {
  sessions: Pick<SessionStore, 'open' | 'list' | 'transcript'>;
  plans: Pick<PlanStore, 'listPending'>;
  writes: Pick<PendingWriteStore, 'listPending'>;
}

/** Stored messages a session read returns at most (the newest): a page shows a conversation, not an archive. */
export const TRANSCRIPT_MESSAGES = 200;

/** The user's sessions, most recently saved first, at most `limit`. */
export async function listSessions(
  deps: SessionViewDeps,
  userId: string,
  limit: number,
): Promise<SessionList> {
  const sessions = await deps.sessions.list(userId, limit);
  return {
    sessions: sessions.map((session) => ({
      session_id: session.sessionId,
      title: session.title,
      updated_at: session.updatedAt,
      message_count: session.messageCount,
    })),
  };
}

/**
 * One of the user's sessions as people read it, with what waits for their decision; undefined when this user has no
 * such session (every key is scoped by the user, so another user's session id reads as absent).
 */
export async function readSession(
  deps: SessionViewDeps,
  userId: string,
  sessionId: string,
): Promise<SessionView | undefined> {
  const [summary, messages, plans, writes] = await Promise.all([
    deps.sessions.open(userId, sessionId),
    deps.sessions.transcript(userId, sessionId, TRANSCRIPT_MESSAGES),
    deps.plans.listPending(userId, sessionId),
    deps.writes.listPending(userId, sessionId),
  ]);
  if (summary === undefined) return undefined;
  return {
    session_id: sessionId,
    messages: textOnly(messages),
    pending: [
      ...plans.map((plan) => ({
        kind: 'plan' as const,
        id: plan.planId,
        summary: `review of ${formatRef(plan.ref)} ${plan.title}`,
      })),
      ...writes.map((write) => ({ kind: 'write' as const, id: write.actionId, summary: write.summary })),
    ],
  };
}

/**
 * The conversation as it was shown: text blocks only, messages left empty without their tool blocks dropped, and
 * neighbours of one role (an answer split by tool calls) joined, as the stream showed them as one reply.
 */
export function textOnly(messages: readonly ChatMessage[]): SessionView['messages'] {
  const shown: SessionView['messages'] = [];
  for (const message of messages) {
    const text = message.content
      .flatMap((block) => ('text' in block && block.text.trim() !== '' ? [block.text] : []))
      .join('\n\n');
    if (text === '') continue;
    const last = shown.at(-1);
    if (last?.role === message.role) last.text = `${last.text}\n\n${text}`;
    else shown.push({ role: message.role, text });
  }
  return shown;
}
