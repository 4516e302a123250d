import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import { sessionListSchema, sessionViewSchema } from '../../lambdas/chat/protocol';
import { say } from '../support/bedrock-standin';
import { sessionIdOf } from '../support/e2e';
import { chat, exchange } from '../support/sse-client';

/**
 * The session list/read API end to end through the local function URL (`npm run dev`'s server): real handler, real
 * HTTP, dynalite. Each test uses its own users on one shared server.
 */

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({
    offline: true,
    allowUserHeader: true,
    logLevel: 'SILENT',
    responder: () => say('Noted', '.'),
  });
});
afterAll(() => server.close());

/** Sends a message as `user` (continuing `sessionId` when given) and returns the session id. */
async function send(user: string, message: string, sessionId?: string): Promise<string> {
  const reply = await chat(
    server.url,
    { message, ...(sessionId ? { session_id: sessionId } : {}) },
    { user },
  );
  expect(reply.status).toBe(200);
  return sessionIdOf(reply);
}

describe('GET /sessions and GET /sessions/{session_id} (local server)', () => {
  it('lists the caller’s sessions newest first', async () => {
    const first = await send('lister', 'my first   question');
    const second = await send('lister', 'my second question');
    await send('lister', 'back to the first', first);

    const reply = await exchange(server.url, '/sessions', undefined, { user: 'lister' });

    expect(reply.status).toBe(200);
    const { sessions } = sessionListSchema.parse(reply.json);
    expect(sessions.map((session) => [session.session_id, session.title, session.message_count])).toEqual([
      [first, 'my first question', 4],
      [second, 'my second question', 2],
    ]);
  });

  it('returns at most `limit` sessions', async () => {
    for (const text of ['one', 'two', 'three']) await send('limited', text);

    const reply = await exchange(server.url, '/sessions?limit=2', undefined, { user: 'limited' });

    expect(reply.status).toBe(200);
    expect(sessionListSchema.parse(reply.json).sessions.map((session) => session.title)).toEqual([
      'three',
      'two',
    ]);
  });

  it('refuses a limit outside 1..50 with 400 invalid_request', async () => {
    for (const limit of ['0', '51', 'ten', '2.5', '']) {
      const reply = await exchange(server.url, `/sessions?limit=${limit}`, undefined, { user: 'limited' });

      expect(reply.status, limit).toBe(400);
      expect(reply.json).toMatchObject({ type: 'invalid_request', error: expect.stringMatching(/^limit: /) });
    }
  });

  it('reads a session’s messages as text', async () => {
    const id = await send('reader', 'hello there');

    const reply = await exchange(server.url, `/sessions/${id}`, undefined, { user: 'reader' });

    expect(reply.status).toBe(200);
    expect(sessionViewSchema.parse(reply.json)).toEqual({
      session_id: id,
      messages: [
        { role: 'user', text: 'hello there' },
        { role: 'assistant', text: 'Noted.' },
      ],
      pending: [],
    });
  });

  it('answers 404 for another user’s session id and tells nothing about it', async () => {
    const id = await send('owner', 'a private matter');

    const reply = await exchange(server.url, `/sessions/${id}`, undefined, { user: 'intruder' });
    const unknown = await exchange(server.url, '/sessions/never-used', undefined, { user: 'intruder' });

    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ type: 'session_not_found' });
    expect(reply.text).not.toContain('private');
    // Exactly what an id nobody ever used gets, apart from the id itself and the time.
    const shape = (body: Record<string, unknown> | undefined, sessionId: string) =>
      JSON.stringify({ ...body, timestamp: 0 }).replaceAll(sessionId, 'ID');
    expect(shape(reply.json, id)).toBe(shape(unknown.json, 'never-used'));
    const listed = await exchange(server.url, '/sessions', undefined, { user: 'intruder' });
    expect(listed.json).toEqual({ sessions: [] });
  });

  it('refuses a malformed session id with 400 invalid_request', async () => {
    const reply = await exchange(server.url, '/sessions/bad.id', undefined, { user: 'reader' });

    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      type: 'invalid_request',
      error: expect.stringMatching(/^session_id: /),
    });
  });

  it('answers 405 with Allow: GET to a POST', async () => {
    const reply = await exchange(server.url, '/sessions', {}, { user: 'reader' });

    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('GET');
  });
});
