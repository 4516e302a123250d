import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local stand-in's HTTP server, listening. */
export interface LocalHttpServer {
  server: Server;
  /** `http://<host>:<port>`: a wildcard listen address is reached on 127.0.0.1. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Serves `serve` on `host` (default 127.0.0.1) and `port` (default ephemeral), as the local function URLs do: a
 * request that throws gets a 502 like a function URL's own error, a busy port rejects (EADDRINUSE) instead of crashing
 * the process, and idle connections are kept longer than clients keep them, so a request never races their closing.
 */
export async function startLocalHttpServer(
  serve: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: { port?: number; host?: string } = {},
): Promise<LocalHttpServer> {
  const server = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Message: `Local function URL error: ${String(error)}` }));
    });
  });
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    baseUrl: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
