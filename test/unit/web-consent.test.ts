import { describe, expect, it } from 'vitest';
import type { LoopbackListener, LoopbackListenerOptions } from '../../bin/client/oauth-listener';
import { ConsentError, createConsentBroker } from '../../bin/client/web/consent';
import type { Upstream } from '../../bin/client/web/upstream';

/** A listener whose redirect the test settles, and an upstream that records what was posted. */
function fakes(status = 200) {
  const started: LoopbackListenerOptions[] = [];
  let arrive: (value: { sessionUri: string; state: string }) => void = () => undefined;
  const posted: Array<{ path: string; body: string | undefined }> = [];
  const startListener = async (options: LoopbackListenerOptions): Promise<LoopbackListener> => {
    started.push(options);
    const redirect = new Promise<{ sessionUri: string; state: string }>((resolve) => {
      arrive = resolve;
    });
    return {
      returnUrl: 'http://localhost:8976/oauth/callback',
      port: 8976,
      redirect,
      close: async () => undefined,
    };
  };
  const upstream: Upstream = {
    url: 'http://chat.test',
    async request(_method, path, body) {
      posted.push({ path, body });
      return new Response('{}', { status });
    },
  };
  return {
    started,
    posted,
    startListener,
    upstream,
    arrive: (value: { sessionUri: string; state: string }) => arrive(value),
  };
}

describe('web page consent broker', () => {
  it('completes with the state the listener received, posted by the page server', async () => {
    const rig = fakes();
    const broker = createConsentBroker({
      upstream: rig.upstream,
      startListener: rig.startListener,
      callbackPort: 8976,
    });
    await broker.start({ stateHash: 'hash-1', sessionUri: 'urn:s1' });

    const waited = broker.wait('hash-1', new AbortController().signal);
    rig.arrive({ sessionUri: 'urn:s1', state: 'secret-state' });
    await waited;

    expect(rig.started).toMatchObject([
      { expectedStateHash: 'hash-1', expectedSessionUri: 'urn:s1', port: 8976 },
    ]);
    expect(rig.posted).toEqual([
      { path: '/oauth/complete', body: JSON.stringify({ session_uri: 'urn:s1', state: 'secret-state' }) },
    ]);
  });

  it('starts one listener for the same consent asked twice', async () => {
    const rig = fakes();
    const broker = createConsentBroker({
      upstream: rig.upstream,
      startListener: rig.startListener,
      callbackPort: 8976,
    });

    await broker.start({ stateHash: 'hash-1', sessionUri: 'urn:s1' });
    await broker.start({ stateHash: 'hash-1', sessionUri: 'urn:s1' });

    expect(rig.started).toHaveLength(1);
  });

  it('refuses to wait for a consent that was never started', async () => {
    const rig = fakes();
    const broker = createConsentBroker({
      upstream: rig.upstream,
      startListener: rig.startListener,
      callbackPort: 8976,
    });

    await expect(broker.wait('unknown', new AbortController().signal)).rejects.toMatchObject({
      status: 404,
      type: 'consent_not_found',
    });
  });

  it('reports a refused /oauth/complete as a failed consent', async () => {
    const rig = fakes(403);
    const broker = createConsentBroker({
      upstream: rig.upstream,
      startListener: rig.startListener,
      callbackPort: 8976,
    });
    await broker.start({ stateHash: 'hash-1', sessionUri: 'urn:s1' });

    const waited = broker.wait('hash-1', new AbortController().signal);
    rig.arrive({ sessionUri: 'urn:s1', state: 'secret-state' });

    await expect(waited).rejects.toBeInstanceOf(ConsentError);
  });
});
