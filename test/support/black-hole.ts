import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';

/**
 * A dependency that has gone silent: a TCP server on 127.0.0.1 that accepts every connection, reads what it is sent
 * and never answers a byte. To a client it looks like a hung DynamoDB, AgentCore or GitHub endpoint (a stuck load
 * balancer, a dropped route behind an open port): only the client's own timeouts end the wait.
 */
export interface BlackHole {
  /** `http://127.0.0.1:<port>`, usable as an SDK `endpoint` or `GITHUB_API_URL`. */
  url: string;
  /**
   * Requests received so far: connections that sent something. A silent peer gets at most one request per connection,
   * and a client may open a spare connection it never uses, so this counts what was asked, not sockets.
   */
  requests(): number;
  close(): Promise<void>;
}

/** Starts a black hole on an ephemeral loopback port. */
export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      requests += 1;
    });
    // A client that gives up resets the connection; that is the expected way out.
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
