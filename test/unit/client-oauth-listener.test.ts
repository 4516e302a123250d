import { afterEach, describe, expect, it } from 'vitest';
import {
  type LoopbackListener,
  type LoopbackListenerOptions,
  RedirectWithoutStateError,
  startLoopbackListener,
} from '../../bin/client/oauth-listener';
import { consentStateHash } from '../../lambdas/identity/consent-state';

const STATE = 'u2Nf3lq0xYtQ7kS9mVbJc1Hh8ZrPaEoW5dGiTn4yXs0';
const SESSION = 'urn:ietf:params:oauth:request_uri:abc123';

let listener: LoopbackListener | undefined;

afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

async function start(options: Partial<LoopbackListenerOptions> = {}): Promise<LoopbackListener> {
  listener = await startLoopbackListener({
    expectedStateHash: consentStateHash(STATE),
    expectedSessionUri: SESSION,
    port: 0,
    ...options,
  });
  return listener;
}

function callback(base: LoopbackListener, params: Record<string, string>): Promise<Response> {
  const url = new URL(base.returnUrl.replace('localhost', '127.0.0.1'));
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return fetch(url);
}

describe('loopback OAuth listener', () => {
  it('serves the return URL on localhost', async () => {
    const running = await start();

    expect(running.returnUrl).toBe(`http://localhost:${running.port}/oauth/callback`);
  });

  it('accepts the redirect carrying the expected state and yields the session id', async () => {
    const running = await start();

    const response = await callback(running, { session_id: SESSION, state: STATE });

    expect(response.status).toBe(200);
    await expect(running.redirect).resolves.toEqual({ sessionUri: SESSION, state: STATE });
  });

  it('rejects a wrong state with a 400 page and keeps waiting for the right one', async () => {
    const running = await start();
    let settled = false;
    void running.redirect.then(() => {
      settled = true;
    });

    const wrong = await callback(running, {
      session_id: 'urn:ietf:params:oauth:request_uri:evil',
      state: 'guess',
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wrong.status).toBe(400);
    expect(settled).toBe(false);

    await callback(running, { session_id: SESSION, state: STATE });
    await expect(running.redirect).resolves.toEqual({ sessionUri: SESSION, state: STATE });
  });

  it('accepts the state under whatever parameter name it comes back in', async () => {
    const running = await start();

    const response = await callback(running, { session_id: SESSION, customState: STATE });

    expect(response.status).toBe(200);
    await expect(running.redirect).resolves.toEqual({ sessionUri: SESSION, state: STATE });
  });

  it("accepts a redirect without session_id when a value is the state, with the event's session URI", async () => {
    const running = await start();

    const response = await callback(running, { s: STATE });

    expect(response.status).toBe(200);
    await expect(running.redirect).resolves.toEqual({ sessionUri: SESSION, state: STATE });
  });

  it('refuses the state when session_id names another consent', async () => {
    const running = await start();

    const response = await callback(running, {
      session_id: 'urn:ietf:params:oauth:request_uri:other',
      state: STATE,
    });

    expect(response.status).toBe(400);
  });

  it('stops at once when this consent comes back without the state, naming the parameters but no value', async () => {
    const running = await start();

    const response = await callback(running, { session_id: SESSION, code: 'gh-code-123', extra: 'x' });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Authorization not completed');
    const failure = await running.redirect.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RedirectWithoutStateError);
    expect((failure as RedirectWithoutStateError).parameterNames).toEqual(['session_id', 'code', 'extra']);
    expect((failure as Error).message).toContain('query parameters: session_id, code, extra');
    expect((failure as Error).message).not.toContain('gh-code-123');
    expect((failure as Error).message).not.toContain(SESSION);
  });

  it('reports the parameter names of a redirect for another consent and keeps waiting', async () => {
    const heard: string[][] = [];
    const running = await start({ onUnmatched: (names) => heard.push(names) });

    const stale = await callback(running, {
      session_id: 'urn:ietf:params:oauth:request_uri:old',
      state: 'old',
    });
    await callback(running, { session_id: SESSION, state: STATE });

    expect(stale.status).toBe(400);
    expect(heard).toEqual([['session_id', 'state']]);
    await expect(running.redirect).resolves.toEqual({ sessionUri: SESSION, state: STATE });
  });

  it('makes parameter names safe to print in a terminal', async () => {
    const heard: string[][] = [];
    const running = await start({ onUnmatched: (names) => heard.push(names) });

    await callback(running, { '\u001b[31mred': 'v', ['n'.repeat(100)]: 'v' });

    expect(heard).toEqual([['?[31mred', 'n'.repeat(40)]]);
  });

  it('answers 404 off the callback path', async () => {
    const running = await start();

    const response = await fetch(`http://127.0.0.1:${running.port}/other?state=${STATE}&session_id=x`);

    expect(response.status).toBe(404);
  });

  it('rejects the pending redirect when closed first', async () => {
    const running = await start();

    await running.close();

    await expect(running.redirect).rejects.toThrow(/closed before the browser returned/);
  });
});
