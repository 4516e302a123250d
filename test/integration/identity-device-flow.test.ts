import { afterEach, describe, expect, it } from 'vitest';
import { createDeviceFlowTokenPort, type DeviceFlowTokenPort } from '../../lambdas/identity/device-flow';
import { ConsentForbiddenError, type TokenResult } from '../../lambdas/identity/port';
import {
  type DeviceFlowStandin,
  type DeviceOutcome,
  startDeviceFlowStandin,
} from '../support/device-flow-standin';

const CLIENT_ID = 'Iv1.test-client';
const TOKEN = 'gho_device_flow_test_token_42';

let standin: DeviceFlowStandin | undefined;
let port: DeviceFlowTokenPort | undefined;

afterEach(async () => {
  port?.close();
  await standin?.close();
  port = undefined;
  standin = undefined;
});

/** A port against a fresh stand-in whose sleeps are recorded and last 2 ms (GitHub's 5 s would make a slow test). */
async function setUp(script: DeviceOutcome[], clock = { now: 0 }) {
  standin = await startDeviceFlowStandin({ clientId: CLIENT_ID, script, token: TOKEN, interval: 5 });
  const slept: number[] = [];
  port = createDeviceFlowTokenPort({
    clientId: CLIENT_ID,
    scopes: ['repo', 'read:user'],
    oauthBase: standin.url,
    sleep: async (ms) => {
      slept.push(ms);
      clock.now += ms;
      await new Promise((resolve) => setTimeout(resolve, 2));
    },
    now: () => clock.now,
  });
  return { standin, port, slept };
}

function expectConsent(result: TokenResult): Extract<TokenResult, { kind: 'consent' }> {
  if (result.kind !== 'consent') throw new Error(`expected a consent, got ${result.kind}`);
  return result;
}

describe('device-flow token port against the device-flow stand-in', () => {
  it('answers with the verification URL and user code without waiting for the user', async () => {
    const { standin, port } = await setUp(['authorization_pending']);

    const consent = expectConsent(await port.getToken({ userId: 'alice' }));

    expect(consent.authorizationUrl).toBe(`${standin.url}/login/device`);
    expect(consent.userCode).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(consent.sessionUri).toMatch(/^device:/);
    expect(consent.state.length).toBeGreaterThan(20);
  });

  it('asks for a device code with the client id and space-separated scopes', async () => {
    const { standin, port } = await setUp(['authorization_pending']);

    await port.getToken({ userId: 'alice' });

    expect(standin.requests[0]).toMatchObject({
      path: '/login/device/code',
      body: { client_id: CLIENT_ID, scope: 'repo read:user' },
    });
  });

  it('polls through pending and slow_down (5 s more) to the token', async () => {
    const { standin, port, slept } = await setUp(['authorization_pending', 'slow_down', 'success']);

    await port.getToken({ userId: 'alice' });
    await port.settled('alice');

    expect(slept).toEqual([5_000, 5_000, 10_000]);
    expect(standin.requests.at(-1)?.body).toMatchObject({
      client_id: CLIENT_ID,
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    });
    expect(await port.getToken({ userId: 'alice' })).toEqual({ kind: 'token', token: TOKEN });
  });

  it('returns the same consent while the user has not confirmed', async () => {
    const { port } = await setUp(['authorization_pending']);

    const first = expectConsent(await port.getToken({ userId: 'alice' }));
    const second = expectConsent(await port.getToken({ userId: 'alice' }));

    expect(second).toEqual(first);
  });

  it('keeps tokens per user', async () => {
    const { port } = await setUp(['success']);

    await port.getToken({ userId: 'alice' });
    await port.settled('alice');

    expect((await port.getToken({ userId: 'bob' })).kind).toBe('consent');
  });

  it('reports an expired device code once, then starts over', async () => {
    const { port } = await setUp(['authorization_pending', 'expired_token']);

    await port.getToken({ userId: 'alice' });
    await port.settled('alice');

    await expect(port.getToken({ userId: 'alice' })).rejects.toMatchObject({ code: 'consent_expired' });
    expect((await port.getToken({ userId: 'alice' })).kind).toBe('consent');
  });

  it('stops polling on its own clock once the code has expired', async () => {
    const clock = { now: 0 };
    standin = await startDeviceFlowStandin({ clientId: CLIENT_ID, expiresIn: 12, interval: 5 });
    port = createDeviceFlowTokenPort({
      clientId: CLIENT_ID,
      scopes: ['repo'],
      oauthBase: standin.url,
      sleep: async (ms) => {
        clock.now += ms;
      },
      now: () => clock.now,
    });

    await port.getToken({ userId: 'alice' });
    await port.settled('alice');

    await expect(port.getToken({ userId: 'alice' })).rejects.toMatchObject({ code: 'consent_expired' });
    expect(standin.requests.filter((r) => r.path === '/login/oauth/access_token')).toHaveLength(2);
  });

  it('reports a denied authorization', async () => {
    const { port } = await setUp(['authorization_pending', 'access_denied']);

    await port.getToken({ userId: 'alice' });
    await port.settled('alice');

    await expect(port.getToken({ userId: 'alice' })).rejects.toMatchObject({
      code: 'consent_failed',
      message: expect.stringContaining('denied'),
    });
  });

  it('finishes when the user confirms the code on the verification page', async () => {
    const { standin, port } = await setUp(['authorization_pending']);
    const consent = expectConsent(await port.getToken({ userId: 'alice' }));

    await fetch(`${consent.authorizationUrl}?user_code=${consent.userCode}`);
    await port.settled('alice');

    expect(await port.getToken({ userId: 'alice' })).toEqual({ kind: 'token', token: TOKEN });
    expect(standin.requests.some((r) => JSON.stringify(r).includes(TOKEN))).toBe(false);
  });

  it("refuses completing another user's device session", async () => {
    const { port } = await setUp(['authorization_pending']);
    const consent = expectConsent(await port.getToken({ userId: 'alice' }));

    await expect(port.completeConsent('bob', consent.sessionUri)).rejects.toBeInstanceOf(
      ConsentForbiddenError,
    );
    await expect(port.completeConsent('alice', consent.sessionUri)).resolves.toBeUndefined();
  });

  it('names GITHUB_OAUTH_CLIENT_ID when GitHub does not know the client', async () => {
    standin = await startDeviceFlowStandin({ clientId: 'someone-else' });
    port = createDeviceFlowTokenPort({ clientId: CLIENT_ID, scopes: ['repo'], oauthBase: standin.url });

    await expect(port.getToken({ userId: 'alice' })).rejects.toThrow(/GITHUB_OAUTH_CLIENT_ID/);
  });
});
