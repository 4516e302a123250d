import { localPrincipalId } from '../../bin/local/function-url';
import type { ChatEvent } from '../../lambdas/agent/events';
import { userIdForPrincipal } from '../../lambdas/chat/identity';
import type { AgentCoreStandin } from './agentcore-standin';
import { type ChatExchange, chat, exchange } from './sse-client';

/**
 * Helpers for end-to-end tests against the local server (bin/local/server.ts with `offline: true` and
 * `allowUserHeader: true`): real HTTP to the function URL, real SSE, and the AgentCore stand-in playing the browser's
 * consent step. Kept generic (no review specifics) so every e2e suite can share them.
 */

/** The parts of a running local server these helpers use. */
export interface E2eServer {
  url: string;
  agentcore?: Pick<AgentCoreStandin, 'simulateConsent'>;
}

/** A chat message as the wire protocol takes it. */
export interface MessageBody {
  message: string;
  session_id?: string;
  return_url?: string;
}

/** The local server's IAM principal for `x-local-user: NAME`. */
export function localUserArn(user: string): string {
  return `arn:aws:iam::000000000000:user/${user}`;
}

/** The user id the server derives for `x-local-user: NAME`: every stored key of that user starts with it. */
export function localUserId(user: string): string {
  const userArn = localUserArn(user);
  return userIdForPrincipal(userArn, localPrincipalId(userArn));
}

/** The events of one type, typed. */
export function eventsOfType<T extends ChatEvent['type']>(
  events: ChatEvent[],
  type: T,
): Array<Extract<ChatEvent, { type: T }>> {
  return events.filter((event): event is Extract<ChatEvent, { type: T }> => event.type === type);
}

/** The first event of one type, or undefined. */
export function firstOfType<T extends ChatEvent['type']>(
  events: ChatEvent[],
  type: T,
): Extract<ChatEvent, { type: T }> | undefined {
  return eventsOfType(events, type)[0];
}

/**
 * The session id the stream announced.
 * @throws Error when the stream announced none (the request was refused before a turn started)
 */
export function sessionIdOf(reply: ChatExchange): string {
  const session = firstOfType(reply.events, 'session');
  if (!session) throw new Error(`No session event (HTTP ${reply.status}): ${reply.text.slice(0, 500)}`);
  return session.session_id;
}

/**
 * Plays the user's GitHub consent for the `oauth_url` event in `events`: the browser's visit to AgentCore (the
 * stand-in's redirect to the client's return URL, which must carry the same session), then the client's signed
 * `POST /oauth/complete` as `user`.
 * @throws Error when there is no `oauth_url` event, the redirect does not carry the session, or the server refuses
 */
export async function completeConsent(server: E2eServer, user: string, events: ChatEvent[]): Promise<void> {
  const consent = firstOfType(events, 'oauth_url');
  if (!consent) throw new Error('The reply asked for no GitHub consent (no oauth_url event)');
  if (!server.agentcore)
    throw new Error('The server has no AgentCore stand-in (start it with offline: true)');
  const redirect = new URL(server.agentcore.simulateConsent(consent.session_uri));
  if (redirect.searchParams.get('session_id') !== consent.session_uri) {
    throw new Error(`The consent redirect does not carry the session: ${redirect.href}`);
  }
  // The state comes back only with the browser's redirect; the event carries its hash.
  const state = redirect.searchParams.get('state') ?? '';
  const done = await exchange(
    server.url,
    '/oauth/complete',
    { session_uri: consent.session_uri, state },
    { user },
  );
  if (done.status !== 200) throw new Error(`POST /oauth/complete answered ${done.status}: ${done.text}`);
}

/** What {@link sendWithConsent} saw. */
export interface ConsentedReply {
  /** The answer to the message (after the consent, when one was needed). */
  reply: ChatExchange;
  sessionId: string;
  /** Whether a consent round trip happened first. */
  consented: boolean;
}

/**
 * Sends a message as `user`; when the answer is a GitHub consent link, completes the consent and re-sends the message
 * in the same session, as the terminal client does.
 */
export async function sendWithConsent(
  server: E2eServer,
  user: string,
  body: MessageBody,
): Promise<ConsentedReply> {
  const first = await chat(server.url, body, { user });
  if (!firstOfType(first.events, 'oauth_url')) {
    return { reply: first, sessionId: sessionIdOf(first), consented: false };
  }
  const sessionId = sessionIdOf(first);
  await completeConsent(server, user, first.events);
  const reply = await chat(server.url, { ...body, session_id: sessionId }, { user });
  return { reply, sessionId, consented: true };
}

/** Sends a plain chat message as `user` (no consent handling). */
export function sendMessage(server: E2eServer, user: string, body: MessageBody): Promise<ChatExchange> {
  return chat(server.url, body, { user });
}

/** Sends a plan action body `{session_id, action: {type, plan_id}}` as `user`. */
export function sendPlanAction(
  server: E2eServer,
  user: string,
  input: { sessionId: string; type: 'approve' | 'cancel'; planId: string },
): Promise<ChatExchange> {
  return chat(
    server.url,
    { session_id: input.sessionId, action: { type: input.type, plan_id: input.planId } },
    { user },
  );
}
