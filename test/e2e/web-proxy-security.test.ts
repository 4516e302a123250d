import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_HEADER } from '../../bin/client/web/guard';
import { launchBrowser, type TestBrowser } from '../support/web-browser';
import { type RunningPage, startWebPage } from '../support/web-harness';

/**
 * The page server's walls: it forwards only requests from its own page (loopback Host and Origin, this run's token),
 * signs them itself, and another origin, even another port on 127.0.0.1, cannot drive it. The chat URL here is a
 * recorder, so "nothing reached the chat server" is counted, not assumed; `--sign` makes the proxy sign for it.
 */

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

let recorder: Server;
let chatUrl: string;
const received: Received[] = [];
let running: RunningPage;
let attacker: Server;
let attackerUrl: string;
let browser: TestBrowser;
let page: Page;

/** What the other site's page tries: each attempt reports how it ended into #out. */
const ATTACK_PAGE = (target: string) => `<!doctype html><meta charset="utf-8"><title>other site</title>
<pre id="out"></pre>
<script>
const target = ${JSON.stringify(target)};
const attempts = {
  jsonPost: () => fetch(target + '/api/chat/stream', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'list my repos' }) }),
  simplePost: () => fetch(target + '/api/chat/stream', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ message: 'list my repos' }) }),
  guessedToken: () => fetch(target + '/api/chat/stream', { method: 'POST', headers: { '${TOKEN_HEADER}': 'guess', 'content-type': 'application/json' }, body: '{"message":"hi"}' }),
  readSessions: () => fetch(target + '/api/sessions'),
  blindSessions: () => fetch(target + '/api/sessions', { mode: 'no-cors' }),
};
(async () => {
  const results = {};
  for (const [name, attempt] of Object.entries(attempts)) {
    try {
      const response = await attempt();
      results[name] = response.type === 'opaque' ? 'opaque' : 'HTTP ' + response.status;
    } catch (error) {
      results[name] = 'blocked';
    }
  }
  document.getElementById('out').textContent = JSON.stringify(results);
})();
</script>`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  recorder = createServer((req, res) => {
    received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    if (req.url?.startsWith('/chat/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        'data: {"type":"session","session_id":"s-1"}\n\ndata: {"type":"token","content":"hello"}\n\ndata: {"type":"done"}\n\n',
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"sessions":[]}');
  });
  chatUrl = await listen(recorder);
  [running, browser] = await Promise.all([
    startWebPage(['--url', chatUrl, '--sign', '--region', 'ap-southeast-2'], {
      credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret' },
    }),
    launchBrowser(),
  ]);
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(ATTACK_PAGE(running.web.origin));
  });
  attackerUrl = await listen(attacker);
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
  await new Promise((resolve) => attacker?.close(resolve));
  await new Promise((resolve) => recorder?.close(resolve));
});

/** A raw request with the headers a browser would never let a page choose (Host). */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${running.web.origin}${path}`,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const tokenOf = () => new URL(running.web.pageUrl).hash.replace('#token=', '');

describe('web page server: who may use the proxy', () => {
  it('a page on another port of 127.0.0.1 cannot use the proxy: every attempt is refused and nothing is forwarded', async () => {
    const before = received.length;

    await page.goto(`${attackerUrl}/`);
    await page.locator('#out', { hasText: 'blindSessions' }).waitFor();
    const results = JSON.parse((await page.locator('#out').textContent()) ?? '{}') as Record<string, string>;

    // A preflighted request fails outright; a "simple" one may be sent but is refused (403) and unreadable (opaque).
    expect(Object.keys(results).sort()).toEqual([
      'blindSessions',
      'guessedToken',
      'jsonPost',
      'readSessions',
      'simplePost',
    ]);
    for (const outcome of Object.values(results)) expect(['blocked', 'opaque']).toContain(outcome);
    expect(received.length).toBe(before);
  });

  it('its own page, opened from the printed address, is forwarded and signed with the AWS credentials', async () => {
    const before = received.length;

    await page.goto(running.web.pageUrl);
    await page.locator('body[data-ready="true"]').waitFor();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('hello there');
    await box.press('Enter');
    await page.locator('article.turn[data-state="done"]').waitFor();

    const forwarded = received.slice(before).find((item) => item.path === '/chat/stream');
    expect(forwarded?.method).toBe('POST');
    expect(forwarded?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST\/\d{8}\/ap-southeast-2\/lambda\//,
    );
    expect(forwarded?.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(forwarded?.headers[TOKEN_HEADER]).toBeUndefined();
    expect(await page.locator('article.turn .md').textContent()).toBe('hello');
  });

  it('refuses a Host that is not its loopback address (DNS rebinding), even for the page itself', async () => {
    const reply = await raw('/', { headers: { host: `attacker.example:${running.web.port}` } });

    expect(reply.status).toBe(403);
  });

  it('refuses a proxy request without the token, or a POST without an Origin, and forwards none', async () => {
    const before = received.length;
    const body = JSON.stringify({ message: 'hi' });
    const json = { 'content-type': 'application/json' };

    const noToken = await raw('/api/chat/stream', {
      method: 'POST',
      headers: { ...json, origin: running.web.origin },
      body,
    });
    const noOrigin = await raw('/api/chat/stream', {
      method: 'POST',
      headers: { ...json, [TOKEN_HEADER]: tokenOf() },
      body,
    });

    expect([noToken.status, noOrigin.status]).toEqual([403, 403]);
    expect(received.length).toBe(before);
  });

  it('serves the page with a strict Content-Security-Policy', async () => {
    const reply = await raw('/');

    expect(reply.status).toBe(200);
    expect(reply.headers['content-security-policy']).toContain("default-src 'none'");
    expect(reply.headers['content-security-policy']).toContain("script-src 'self'");
    expect(reply.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
  });
});
