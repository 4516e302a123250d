import { CALLBACK_PATH, type LoopbackListener, type LoopbackListenerOptions } from '../oauth-listener';
import type { Upstream } from './upstream';

/** A consent step the page asked for failed; `status` is the HTTP status the page server answers with. */
export class ConsentError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConsentError';
  }
}

/**
 * The GitHub consent of the page, completed exactly as the terminal client completes it: the loopback listener waits
 * for AgentCore's redirect (it checks the state against the event's hash), then the page server sends the state to
 * `POST /oauth/complete`, signed. The state never reaches the page. One consent at a time: a new one replaces the
 * last (the listener's port is shared).
 */
export interface ConsentBroker {
  /** Starts listening for the consent of an `oauth_url` event; resolves once listening (before the link is shown). */
  start(input: { stateHash: string; sessionUri: string }): Promise<{ returnUrl: string }>;
  /**
   * Resolves when the consent of `stateHash` is complete.
   * @throws ConsentError when it failed, timed out, or was never started
   */
  wait(stateHash: string, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** What {@link createConsentBroker} needs. */
export interface ConsentBrokerOptions {
  upstream: Upstream;
  startListener: (options: LoopbackListenerOptions) => Promise<LoopbackListener>;
  /** The listener's port: one of the deployment's registered return URLs (0 picks a free one, for tests). */
  callbackPort: number;
  /** How long the browser has to come back (default 10 minutes). */
  timeoutMs?: number;
}

interface Pending {
  stateHash: string;
  listener: LoopbackListener;
  completion: Promise<void>;
}

/** Creates a {@link ConsentBroker}. */
export function createConsentBroker(options: ConsentBrokerOptions): ConsentBroker {
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  let current: Pending | undefined;

  const complete = async (listener: LoopbackListener): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    let redirect: { sessionUri: string; state: string };
    try {
      redirect = await Promise.race([
        listener.redirect,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(new ConsentError(408, 'consent_timeout', 'Gave up waiting for the browser to return.')),
            timeoutMs,
          );
          timer.unref();
        }),
      ]);
    } catch (error) {
      if (error instanceof ConsentError) throw error;
      throw new ConsentError(400, 'consent_failed', error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
      await listener.close();
    }
    const body = JSON.stringify({ session_uri: redirect.sessionUri, state: redirect.state });
    const response = await options.upstream.request(
      'POST',
      '/oauth/complete',
      body,
      AbortSignal.timeout(30_000),
    );
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new ConsentError(
        502,
        'consent_refused',
        `Completing the GitHub authorization failed with HTTP ${response.status}: ${text.slice(0, 300)}`,
      );
    }
  };

  return {
    async start({ stateHash, sessionUri }) {
      if (current?.stateHash === stateHash) return { returnUrl: current.listener.returnUrl };
      await current?.listener.close();
      current = undefined;
      let listener: LoopbackListener;
      try {
        listener = await options.startListener({
          expectedStateHash: stateHash,
          expectedSessionUri: sessionUri,
          port: options.callbackPort,
        });
      } catch (error) {
        throw new ConsentError(
          409,
          'callback_port_busy',
          `Cannot listen for the GitHub authorization on port ${options.callbackPort} (${CALLBACK_PATH}): ${
            error instanceof Error ? error.message : String(error)
          }. Free the port, or restart with --callback-port and another registered return URL.`,
        );
      }
      const completion = complete(listener);
      // Awaited by wait(); a consent nobody waits for must not become an unhandled rejection.
      completion.catch(() => undefined);
      current = { stateHash, listener, completion };
      return { returnUrl: listener.returnUrl };
    },

    async wait(stateHash, signal) {
      const pending = current;
      if (pending?.stateHash !== stateHash) {
        throw new ConsentError(404, 'consent_not_found', 'No GitHub authorization is waiting for this link.');
      }
      // The page going away stops the wait, not the consent: the browser may still come back.
      await Promise.race([
        pending.completion,
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);
      if (current === pending) current = undefined;
    },

    async close() {
      await current?.listener.close();
      current = undefined;
    },
  };
}
