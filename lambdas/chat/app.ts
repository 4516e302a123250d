import type { Writable } from 'node:stream';
import type { Context, LambdaFunctionURLEventWithIAMAuthorizer, StreamifyHandler } from 'aws-lambda';
import { type ChatTurnDeps, runChatTurn } from '../agent/turn';
import { IdentityError } from '../identity/errors';
import { ConsentForbiddenError, type GitHubTokenPort } from '../identity/port';
import type { Logger } from '../log';
import type { ConsentBindings } from '../sessions/consents';
import { isDependencyTimeout } from '../timeouts';
import { callerFromEvent } from './identity';
import { sessionIdSchema, sessionListQuerySchema } from './protocol';
import {
  type ChatRequest,
  chatRequestSchema,
  HttpError,
  oauthCompleteSchema,
  parseJsonBody,
  parseWith,
} from './request';
import { listSessions, readSession, type SessionViewDeps } from './session-view';
import { createSseWriter, SSE_HEADERS } from './sse';

/** Everything the handler needs, built once per cold start (or by the local server). */
export interface ChatAppDeps {
  turn: ChatTurnDeps;
  tokenPort: Pick<GitHubTokenPort, 'completeConsent'>;
  consents: Pick<ConsentBindings, 'verify' | 'forget'>;
  /** `GET /sessions` and `GET /sessions/{session_id}`. */
  sessionView: SessionViewDeps;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Idle time before a `: ping` comment (default 15 s). */
  heartbeatMs?: number;
}

type Event = LambdaFunctionURLEventWithIAMAuthorizer;
const ROUTES: Record<string, string> = {
  '/chat/stream': 'POST',
  '/oauth/complete': 'POST',
  '/health': 'GET',
  '/sessions': 'GET',
  '/sessions/{session_id}': 'GET',
};
const SESSION_PATH = '/sessions/';

/** The route a path takes: itself, or `/sessions/{session_id}` with the id (validated later). */
function routeOf(path: string): { route: string; sessionId?: string } {
  if (path.startsWith(SESSION_PATH)) {
    return { route: '/sessions/{session_id}', sessionId: path.slice(SESSION_PATH.length) };
  }
  return { route: path };
}

/**
 * The function URL's streaming handler (wrap it with `awslambda.streamifyResponse`): routes, authenticates from the
 * IAM request context, validates, then streams a chat turn as Server-Sent Events. Invalid requests get a JSON 4xx
 * before any stream starts and nothing is stored.
 */
export function createChatHandler(deps: ChatAppDeps): StreamifyHandler<Event, void> {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  return async (event, responseStream, context) => {
    const method = event.requestContext?.http?.method ?? 'GET';
    // A base URL ending in "/" (the ChatUrl output does) plus "/chat/stream" gives "//chat/stream": same route.
    const path = (event.rawPath ?? '/').replace(/\/{2,}/g, '/');
    try {
      const { route, sessionId } = routeOf(path);
      const allowed = ROUTES[route];
      if (allowed === undefined) throw new HttpError(404, 'not_found', `No route for ${method} ${path}`);
      if (method !== allowed) {
        throw new HttpError(405, 'method_not_allowed', `${path} accepts ${allowed} only`);
      }
      if (path === '/health') {
        return await sendJson(responseStream, 200, { status: 'healthy', agent_ready: true });
      }
      const caller = callerFromEvent(event);
      if (!caller) {
        throw new HttpError(
          401,
          'unauthenticated',
          'The request carries no IAM identity; sign it with SigV4',
        );
      }
      if (path === '/oauth/complete') {
        const { session_uri: sessionUri, state } = parseJsonBody(event, oauthCompleteSchema);
        // Only the user who started the consent, holding the state its browser brought back, may finish it.
        if (!(await deps.consents.verify(caller.userId, sessionUri, state)))
          throw new ConsentForbiddenError();
        await deps.tokenPort.completeConsent(caller.userId, sessionUri);
        await deps.consents.forget(caller.userId, sessionUri).catch((error: unknown) => {
          deps.logger.warn('Could not delete a used consent binding', { error: describeError(error) });
        });
        return await sendJson(responseStream, 200, { status: 'completed' });
      }
      if (route === '/sessions') {
        const { limit } = parseWith(sessionListQuerySchema, event.queryStringParameters ?? {});
        return await sendJson(
          responseStream,
          200,
          await listSessions(deps.sessionView, caller.userId, limit),
        );
      }
      if (sessionId !== undefined) {
        const id = parseWith(sessionIdSchema, sessionId, 'session_id');
        const session = await readSession(deps.sessionView, caller.userId, id);
        // Also for another user's id: whether it exists elsewhere is not the caller's business.
        if (!session) throw new HttpError(404, 'session_not_found', `You have no session ${id}`);
        return await sendJson(responseStream, 200, session);
      }
      const request = parseJsonBody(event, chatRequestSchema);
      await streamChat(deps, heartbeatMs, request, caller.userId, responseStream, context);
    } catch (error) {
      const failure = toHttpError(error);
      if (failure.status >= 500) deps.logger.error('Request failed', { path, error: describeError(error) });
      await sendJson(
        responseStream,
        failure.status,
        { error: failure.message, type: failure.type, timestamp: new Date().toISOString() },
        failure.status === 405 ? { allow: ROUTES[routeOf(path).route] ?? '' } : {},
      );
    }
  };
}

async function streamChat(
  deps: ChatAppDeps,
  heartbeatMs: number,
  request: ChatRequest,
  userId: string,
  responseStream: Writable,
  context: Context,
): Promise<void> {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: SSE_HEADERS });
  const sse = createSseWriter(stream, heartbeatMs);
  const remainingMs = () => context.getRemainingTimeInMillis();
  try {
    // An action is kept in the history as the words a user would have typed for it.
    const actionTarget =
      'action' in request ? (request.action.plan_id ?? request.action.action_id ?? '') : '';
    const turn =
      'action' in request
        ? {
            message: `${request.action.type} ${actionTarget}`,
            command: { type: request.action.type, id: actionTarget },
          }
        : { message: request.message, returnUrl: request.return_url };
    await runChatTurn(deps.turn, {
      ...turn,
      userId,
      sessionId: request.session_id,
      emit: sse.emit,
      remainingMs,
      // A client that disconnects stops the turn: no more model calls, no new GitHub write; what is done is saved.
      signal: sse.signal,
    });
    if (sse.signal.aborted) deps.logger.info('The client disconnected; the turn was stopped');
  } catch (error) {
    deps.logger.error('Chat turn failed', { error: describeError(error) });
    sse.emit({
      type: 'error',
      code: 'internal_error',
      message: 'Something went wrong on our side; try again.',
    });
  }
  sse.emit({ type: 'done' });
  await sse.close();
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (isDependencyTimeout(error)) {
    return new HttpError(
      504,
      'dependency_timeout',
      'A service this request needs did not answer in time; try again.',
    );
  }
  if (error instanceof ConsentForbiddenError) return new HttpError(403, 'consent_forbidden', error.message);
  if (error instanceof IdentityError) {
    const status = error.code === 'consent_failed' || error.code === 'consent_expired' ? 400 : 502;
    return new HttpError(status, error.code, error.message);
  }
  return new HttpError(500, 'internal_error', 'Something went wrong on our side; try again.');
}

async function sendJson(
  responseStream: Writable,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<void> {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
  });
  // Write before end: the runtime sends the status line and headers with the first write, and drops them otherwise.
  stream.write(JSON.stringify(body));
  await new Promise<void>((resolve) => stream.end(() => resolve()));
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
