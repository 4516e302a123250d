import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy in front of a local server that plays a server whose keep-alive timeout is shorter than the client's. */
export interface ResettingProxy {
  url: string;
  /** Connections reset so far. */
  readonly resets: number;
  /** From now on, reset every request that arrives on a connection that already carried one (a reused connection). */
  closeIdleConnections(): void;
  /** From now on, reset every request on every connection, new ones too (a server that is really down). */
  resetEverything(): void;
  close(): Promise<void>;
}

/**
 * Forwards bytes both ways to `upstream` (`http://127.0.0.1:PORT`). After {@link ResettingProxy.closeIdleConnections},
 * the connections open at that moment count as idle ones the server has already timed out: the next request on
 * each is answered with a TCP reset, as a client sees it when it reuses a pooled connection the server just closed.
 * Requests on connections opened later pass.
 */
export async function startResettingProxy(upstream: string): Promise<ResettingProxy> {
  const target = new URL(upstream);
  const open = new Set<Socket>();
  const stale = new WeakSet<Socket>();
  let resets = 0;
  let resetAll = false;
  const server = createServer((client) => {
    open.add(client);
    const server = createConnection({ host: target.hostname, port: Number(target.port) });
    client.on('data', (chunk) => {
      if (resetAll || stale.has(client)) {
        resets += 1;
        server.destroy();
        client.resetAndDestroy();
        return;
      }
      server.write(chunk);
    });
    server.on('data', (chunk) => client.write(chunk));
    const end = () => {
      open.delete(client);
      client.destroy();
      server.destroy();
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get resets() {
      return resets;
    },
    closeIdleConnections() {
      for (const socket of open) stale.add(socket);
    },
    resetEverything() {
      resetAll = true;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
