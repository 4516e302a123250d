import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import { chat } from '../support/sse-client';

/**
 * A bounded load test through the local server: 50 chat turns at once (a model call, a tool, a second model call and a
 * saved session each) from 6 users, against the offline stand-ins on loopback. Every stream must end with `done` and
 * none may carry an `error`. Bounded in count and time so it stays a few seconds of CI.
 */

const TURNS = 50;
const USERS = 6;

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({ offline: true, allowUserHeader: true, logLevel: 'SILENT' });
});

afterAll(async () => {
  await server?.close();
});

describe('the local server under load', () => {
  it(`completes ${TURNS} concurrent chat turns, every stream ending with done and no error`, async () => {
    const started = performance.now();

    const replies = await Promise.all(
      Array.from({ length: TURNS }, async (_, index) => {
        const begun = performance.now();
        const reply = await chat(
          server.url,
          { message: 'what time is it?' },
          { user: `load-${index % USERS}`, signal: AbortSignal.timeout(20_000) },
        );
        return { ...reply, ms: performance.now() - begun };
      }),
    );

    const wallMs = Math.round(performance.now() - started);
    const times = replies.map((reply) => reply.ms).sort((a, b) => a - b);
    console.info(
      `load: ${TURNS} turns in ${wallMs} ms; per turn p50 ${Math.round(times[TURNS / 2] ?? 0)} ms, max ${Math.round(times.at(-1) ?? 0)} ms`,
    );
    expect(replies.map((reply) => reply.status)).toEqual(Array(TURNS).fill(200));
    expect(replies.filter((reply) => reply.events.at(-1)?.type !== 'done')).toEqual([]);
    expect(replies.flatMap((reply) => reply.events.filter((event) => event.type === 'error'))).toEqual([]);
    expect(replies.every((reply) => reply.events.some((event) => event.type === 'tool_result'))).toBe(true);
    expect(wallMs).toBeLessThan(20_000);
  }, 40_000);
});
