import type { LoopbackListener, LoopbackListenerOptions } from '../oauth-listener';
import type { RequestSigner } from '../sign';
import type { PageAssets } from './assets';
import { startWebServer, type WebServer } from './server';

/** What `--web` needs from the CLI around it. */
export interface WebRunInput {
  chatUrl: string;
  port: number;
  callbackPort: number;
  defaultCallbackPort: number;
  /** A session to open the page on (`--session`, `--continue`). */
  sessionId?: string;
  signal: AbortSignal;
  fetch: typeof fetch;
  signer?: RequestSigner;
  startListener: (options: LoopbackListenerOptions) => Promise<LoopbackListener>;
  loadAssets: () => Promise<PageAssets>;
  /** Opens the page; absent with --no-open. */
  openBrowser?: (url: string) => void | Promise<void>;
  /** Lines for the person at the terminal. */
  notice: (text: string) => void;
  /** Told the running server (tests drive it, then abort the signal). */
  onListening?: (server: WebServer) => void;
}

/**
 * `--web`: serves the chat page until the signal aborts (Ctrl-C). The printed address carries this run's token in its
 * fragment: only a page opened from it can use the proxy.
 * @throws Error when the port is taken
 */
export async function runWebPage(input: WebRunInput): Promise<void> {
  const assets = await input.loadAssets();
  let server: WebServer;
  try {
    server = await startWebServer(
      {
        chatUrl: input.chatUrl,
        port: input.port,
        callbackPort: input.callbackPort,
        defaultCallbackPort: input.defaultCallbackPort,
      },
      { fetch: input.fetch, signer: input.signer, startListener: input.startListener, assets },
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(`Port ${input.port} is taken: pick another with --port (0 picks a free one).`);
    }
    throw error;
  }
  const pageUrl = input.sessionId
    ? `${server.pageUrl}&session=${encodeURIComponent(input.sessionId)}`
    : server.pageUrl;
  input.notice(
    `Chat page for ${input.chatUrl}${input.signer ? ' (requests signed with your AWS credentials)' : ''}:`,
  );
  input.notice(`  ${pageUrl}`);
  input.notice('Only this address (with its token) can use the page. Ctrl-C stops it.');
  input.onListening?.(server);
  if (input.openBrowser) {
    try {
      await input.openBrowser(pageUrl);
    } catch {
      // The printed address is enough.
    }
  }
  try {
    await new Promise<void>((resolve) => {
      if (input.signal.aborted) return resolve();
      input.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await server.close();
  }
}
