import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalServer } from '../../bin/local/server';

/**
 * `npm run dev` attacked over its own HTTP: a DNS-rebinding request (another site's name in Host) and a huge upload.
 * Raw node:http clients, because fetch neither lets a page-like request set Host nor shows how much of a body the
 * server took before answering.
 */

let server: LocalServer;
let port: number;

beforeAll(async () => {
  server = await startLocalServer({ offline: true, logLevel: 'SILENT' });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
});

interface RawAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** A GET with an arbitrary Host header. */
function getWithHost(path: string, host: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Streams up to `totalBytes` of JSON-looking body in 64 KB chunks, honouring backpressure, and stops as soon as the
 * server answers (or drops the connection). Returns the answer and how many bytes the server let through.
 */
function upload(
  totalBytes: number,
  headers: Record<string, string> = {},
): Promise<RawAnswer & { sentBytes: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sentBytes = 0;
    let answered = false;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/chat/stream',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        answered = true;
        let text = '';
        res.on('data', (data: Buffer) => {
          text += data.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), sentBytes }));
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && !req.destroyed && sentBytes < totalBytes) {
        sentBytes += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered && !req.destroyed) req.end();
    };
    req.write('{"message":"');
    pump();
  });
}

describe('the local server (npm run dev)', () => {
  it('refuses a request addressed to another site’s name (DNS rebinding) with 421 and the error shape', async () => {
    const answer = await getWithHost('/health', `attacker.example:${port}`);

    expect(answer.status).toBe(421);
    expect(answer.json).toMatchObject({
      type: 'misdirected_request',
      error: expect.stringContaining('localhost'),
    });
    expect(Date.parse(String(answer.json.timestamp))).not.toBeNaN();
  });

  it('serves requests addressed to localhost', async () => {
    const answer = await getWithHost('/health', `localhost:${port}`);

    expect(answer).toEqual({ status: 200, json: { status: 'healthy', agent_ready: true } });
  });

  it('answers 413 to a 64 MB streamed body while it arrives, reading only a bounded part of it', async () => {
    const memoryBefore = process.memoryUsage().arrayBuffers;

    const answer = await upload(64 * 1024 * 1024);

    const grewMb = Math.round((process.memoryUsage().arrayBuffers - memoryBefore) / 1024 / 1024);
    console.info(
      `64 MB upload: server answered ${answer.status} after ${answer.sentBytes} bytes (array buffers +${grewMb} MB)`,
    );
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ type: 'payload_too_large' });
    expect(answer.sentBytes).toBeLessThan(16 * 1024 * 1024);
  });

  it('answers 413 at once when Content-Length announces a body over the limit', async () => {
    const answer = await upload(1024 * 1024, { 'content-length': String(300 * 1024 * 1024) });

    expect(answer.status).toBe(413);
    expect(answer.sentBytes).toBeLessThan(16 * 1024 * 1024);
  });
});
