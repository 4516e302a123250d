import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClient } from '../../bin/build-client';
import { type CliIo, runCli } from '../../bin/client/main';
import type { ChatEvent } from '../../lambdas/agent/events';
import { createAgentCoreTokenPort } from '../../lambdas/identity/agentcore';
import { consentStateHash } from '../../lambdas/identity/consent-state';
import { ConsentForbiddenError, type GitHubTokenPort } from '../../lambdas/identity/port';
import { type AgentCoreStandin, startAgentCoreStandin } from '../support/agentcore-standin';

/** One request the tiny chat server received. */
interface Received {
  path: string;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

type Script = (
  body: Record<string, unknown>,
  send: (event: ChatEvent | string) => void,
) => Promise<void> | void;

/**
 * A tiny stand-in for the chat function: POST /chat/stream answers with the test's script as SSE; POST
 * /oauth/complete runs the given port's completeConsent for user "alice" (the real server takes the user from IAM).
 * It is the test's own scaffolding, not the real handler, which lands separately.
 */
async function startChatServer(
  script: Script,
  port?: GitHubTokenPort,
  options: { endWithoutClose?: boolean } = {},
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      received.push({ path: req.url ?? '', body, headers: req.headers });
      if (req.url === '/oauth/complete') return complete(body, res);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': ping\n\n');
      await script(body, (event) =>
        res.write(typeof event === 'string' ? event : `data: ${JSON.stringify(event)}\n\n`),
      );
      if (!options.endWithoutClose) res.end();
    })();
  });

  async function complete(body: Record<string, unknown>, res: ServerResponse) {
    try {
      await port?.completeConsent('alice', String(body.session_uri));
      res.writeHead(204).end();
    } catch (error) {
      const forbidden = error instanceof ConsentForbiddenError;
      res.writeHead(forbidden ? 403 : 500, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: (error as Error).message,
          type: 'Forbidden',
          timestamp: new Date().toISOString(),
        }),
      );
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url, received, chats: () => received.filter((r) => r.path === '/chat/stream') };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs the client in-process and collects what it printed. */
async function runClient(argv: string[], overrides: Partial<CliIo> & { stdinText?: string } = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const { stdinText, ...io } = overrides;
  const code = await runCli({
    argv,
    env: {},
    stdin: Readable.from(stdinText === undefined ? [] : [stdinText]),
    stdout,
    stderr,
    signal: new AbortController().signal,
    waitForDeviceConfirmation: async () => undefined,
    ...io,
  });
  return { code, out: () => out, err: () => err };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const listReposReply: Script = (_body, send) => {
  send({ type: 'session', session_id: 'sess-1' });
  send({ type: 'token', content: 'Let me ' });
  send({ type: 'token', content: 'check.' });
  send({ type: 'tool_use', tool_name: 'list_github_repos', tool_input: { per_page: 30 } });
  send({ type: 'tool_result', tool_name: 'list_github_repos', ok: true, summary: '2 repositories' });
  send({ type: 'token', content: 'You have octo/alpha and octo/beta.' });
  send({ type: 'done' });
};

describe('terminal client against a local SSE server', () => {
  it('one-shot: renders streamed tokens and compact tool calls, exits 0', async () => {
    const server = await startChatServer(listReposReply);

    const run = await runClient(['--url', server.url, 'list', 'my', 'repos']);

    expect(run.code).toBe(0);
    expect(run.out()).toContain(
      'Let me check.\n⚙ list_github_repos {"per_page":30}\n✓ 2 repositories\nYou have octo/alpha',
    );
    expect(server.chats()[0]?.body).toEqual({ message: 'list my repos' });
  });

  it('--json: prints each event as one JSON line, nothing else on stdout', async () => {
    const server = await startChatServer(listReposReply);

    const run = await runClient(['--url', server.url, '--json', 'list my repos']);

    const lines = run.out().trim().split('\n');
    expect(run.code).toBe(0);
    expect(lines.map((line) => (JSON.parse(line) as ChatEvent).type)).toEqual([
      'session',
      'token',
      'token',
      'tool_use',
      'tool_result',
      'token',
      'done',
    ]);
  });

  it('fails with a clear message when the stream ends without done', async () => {
    const server = await startChatServer((_body, send) => {
      send({ type: 'token', content: 'partial' });
    });

    const run = await runClient(['--url', server.url, 'hi']);

    expect(run.code).toBe(1);
    expect(run.out()).toMatch(/ended without a "done" event/);
  });

  it('exits 1 when the turn reports an error event', async () => {
    const server = await startChatServer((_body, send) => {
      send({ type: 'error', code: 'model_throttled', message: 'The model is busy; try again shortly.' });
      send({ type: 'done' });
    });

    const run = await runClient(['--url', server.url, 'hi']);

    expect(run.code).toBe(1);
    expect(run.out()).toContain('✗ The model is busy; try again shortly. [model_throttled]');
  });

  it('explains a refused request with the server message', async () => {
    const server = createServer((_req, res) => {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'message is required', type: 'ValidationError', timestamp: 'now' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const run = await runClient([
      '--url',
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      'hi',
    ]);

    expect(run.code).toBe(1);
    expect(run.out()).toContain('The chat request failed with HTTP 400: message is required.');
  });

  it('interactive: keeps the session across turns and sends approve as a plain message', async () => {
    const server = await startChatServer(listReposReply);

    const run = await runClient(['--url', server.url], { stdinText: 'list my repos\napprove\nexit\n' });

    expect(run.code).toBe(0);
    expect(server.chats().map((r) => r.body)).toEqual([
      { message: 'list my repos' },
      { message: 'approve', session_id: 'sess-1' },
    ]);
  });

  it('signs requests for service lambda when asked to', async () => {
    const server = await startChatServer(listReposReply);

    await runClient(['--url', server.url, '--sign', '--region', 'eu-west-1', 'hi'], {
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    });

    const headers = server.chats()[0]?.headers;
    expect(headers?.authorization).toMatch(/Credential=AKIDTEST\/\d{8}\/eu-west-1\/lambda\/aws4_request/);
    expect(headers?.['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('Ctrl-C during a reply aborts the request and exits 130', async () => {
    const shutdown = new AbortController();
    const server = await startChatServer(
      (_body, send) => {
        send({ type: 'token', content: 'thinking' });
        setTimeout(() => shutdown.abort(new Error('SIGINT')), 20);
      },
      undefined,
      { endWithoutClose: true },
    );

    const run = await runClient(['--url', server.url, 'hi'], { signal: shutdown.signal });

    expect(run.code).toBe(130);
  });

  it('device flow: shows the code, waits for confirmation, re-sends the message', async () => {
    let calls = 0;
    const server = await startChatServer((_body, send) => {
      calls += 1;
      if (calls === 1) {
        send({
          type: 'oauth_url',
          url: 'https://github.com/login/device',
          session_uri: 'device:abc',
          state_hash: 's',
          user_code: 'ABCD-1234',
        });
        send({ type: 'done' });
        return;
      }
      listReposReply(_body, send);
    });
    let confirmations = 0;

    const run = await runClient(['--url', server.url, '--no-browser', 'list my repos'], {
      waitForDeviceConfirmation: async () => {
        confirmations += 1;
      },
    });

    expect(run.code).toBe(0);
    expect(run.out()).toContain('code: ABCD-1234');
    expect(confirmations).toBe(1);
    expect(server.chats()).toHaveLength(2);
  });
});

describe('terminal client: sessions it remembers, and how a turn ends', () => {
  /** A config folder of its own, so the remembered session is this test's. */
  async function configHome(): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), 'chat-config-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return { XDG_CONFIG_HOME: dir };
  }
  /** Answers every message in the session it was sent, or a new one "s-<n>". */
  function sessionServer() {
    let made = 0;
    return startChatServer((body, send) => {
      const id = typeof body.session_id === 'string' ? body.session_id : `s-${++made}`;
      send({ type: 'session', session_id: id });
      send({ type: 'token', content: 'ok' });
      send({ type: 'done' });
    });
  }

  it('one-shot prints its session id on stderr, and a later one-shot "approve" continues it', async () => {
    const server = await sessionServer();
    const env = await configHome();

    const review = await runClient(['--url', server.url, 'review sample-dev/widgets#4'], { env });
    const approve = await runClient(['--url', server.url, 'approve'], { env });

    expect(review.err()).toContain('Session s-1 (continue it with --continue, or --session s-1)');
    expect(server.chats().map((r) => r.body)).toEqual([
      { message: 'review sample-dev/widgets#4' },
      { message: 'approve', session_id: 's-1' },
    ]);
    expect(approve.code).toBe(0);
  });

  it('--continue continues any message; --new starts fresh even for approve', async () => {
    const server = await sessionServer();
    const env = await configHome();
    await runClient(['--url', server.url, 'hello'], { env });

    await runClient(['--url', server.url, '-c', 'and then?'], { env });
    await runClient(['--url', server.url, '--new', 'approve'], { env });

    expect(server.chats().map((r) => r.body.session_id)).toEqual([undefined, 's-1', undefined]);
  });

  it('--session sends a client-chosen id', async () => {
    const server = await sessionServer();

    await runClient(['--url', server.url, '--session', 'test-session', 'Hello']);

    expect(server.chats()[0]?.body).toEqual({ message: 'Hello', session_id: 'test-session' });
  });

  it('exits 1 when the answer ends on a failed tool call, 0 when a later call succeeded', async () => {
    const failing = await startChatServer((_body, send) => {
      send({ type: 'tool_use', tool_name: 'get_repo_info', tool_input: {} });
      send({ type: 'tool_result', tool_name: 'get_repo_info', ok: false, summary: 'Not Found (404)' });
      send({ type: 'token', content: 'That did not work.' });
      send({ type: 'done' });
    });
    const recovered = await startChatServer((_body, send) => {
      send({ type: 'tool_result', tool_name: 'get_repo_info', ok: false, summary: 'Not Found (404)' });
      send({
        type: 'tool_result',
        tool_name: 'list_github_repos',
        ok: true,
        summary: 'Listed 3 repositories',
      });
      send({ type: 'done' });
    });

    const failed = await runClient(['--url', failing.url, 'show x/y']);
    const fine = await runClient(['--url', recovered.url, 'show x/y']);

    expect(failed.code).toBe(1);
    expect(fine.code).toBe(0);
  });

  it('a write waiting for approval is not a failure: shown with how to answer, passed through in --json', async () => {
    const pending = {
      type: 'write_pending',
      action_id: 'w_abc',
      tool_name: 'create_github_issue',
      tool_input: { owner: 'sample-dev', repo: 'widgets', title: 'Triage' },
      summary: 'Create issue "Triage" in sample-dev/widgets',
      expires_at: '2026-01-01T00:15:00.000Z',
    } as const;
    const server = await startChatServer((_body, send) => {
      send({
        type: 'tool_result',
        tool_name: 'create_github_issue',
        ok: false,
        summary: 'withheld until you confirm',
      });
      send(pending);
      send({ type: 'done' });
    });

    const text = await runClient(['--url', server.url, 'triage']);
    const json = await runClient(['--url', server.url, '--json', 'triage']);

    expect(text.code).toBe(0);
    expect(text.out()).toContain(
      '⏸ create_github_issue {"owner":"sample-dev","repo":"widgets","title":"Triage"}\n  Create issue "Triage" in sample-dev/widgets\nReply "approve w_abc" to run it or "cancel w_abc" to drop it',
    );
    expect(json.out().split('\n')).toContain(JSON.stringify(pending));
  });
});

describe('terminal client consent round trip (AgentCore adapter + stand-in behind the local server)', () => {
  async function setUp() {
    const callbackPort = await freePort();
    const returnUrl = `http://localhost:${callbackPort}/oauth/callback`;
    const standin: AgentCoreStandin = await startAgentCoreStandin({
      allowedReturnUrls: [returnUrl],
      githubToken: 'gho_client_roundtrip_token',
    });
    const client = new BedrockAgentCoreClient({
      endpoint: standin.url,
      region: 'ap-southeast-2',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    cleanups.push(
      () => client.destroy(),
      () => standin.close(),
    );
    const port = createAgentCoreTokenPort({
      client,
      workloadName: 'github-coding-agent',
      providerName: 'github-provider',
      scopes: ['repo', 'read:user'],
      allowedReturnUrls: [returnUrl],
    });
    const server = await startChatServer(async (body, send) => {
      send({
        type: 'session',
        session_id: typeof body.session_id === 'string' ? body.session_id : 'sess-42',
      });
      const token = await port.getToken({ userId: 'alice' });
      if (token.kind === 'consent') {
        send({
          type: 'oauth_url',
          url: token.authorizationUrl,
          session_uri: token.sessionUri,
          state_hash: consentStateHash(token.state),
        });
        send({ type: 'token', content: 'Please authorize GitHub access, then I will continue.' });
        send({ type: 'done' });
        return;
      }
      listReposReply(body, (event) => {
        if (typeof event !== 'string' && event.type !== 'session') send(event);
      });
    }, port);
    return { callbackPort, standin, server };
  }

  /** Plays the browser: first a forged (or stale) link for another consent, then AgentCore's redirect as sent. */
  function browser(seen: { forgedStatus?: number; landedStatus?: number }) {
    return async (authorizationUrl: string) => {
      const consent = await fetch(authorizationUrl, { redirect: 'manual' });
      const target = new URL(consent.headers.get('location') ?? '');
      target.hostname = '127.0.0.1';
      const forged = new URL(target);
      forged.searchParams.set('session_id', 'urn:ietf:params:oauth:request_uri:stale');
      forged.searchParams.set('state', 'forged-state');
      seen.forgedStatus = (await fetch(forged)).status;
      seen.landedStatus = (await fetch(target)).status;
    };
  }

  it('oauth_url → browser redirect to the listener → /oauth/complete → the message is re-sent', async () => {
    const { callbackPort, standin, server } = await setUp();
    const seen: { forgedStatus?: number; landedStatus?: number } = {};

    const run = await runClient(
      ['--url', server.url, '--callback-port', String(callbackPort), 'list my repos'],
      {
        openBrowser: browser(seen),
      },
    );

    const complete = server.received.find((r) => r.path === '/oauth/complete');
    const agentCoreComplete = standin.requests.find((r) => r.operation === 'CompleteResourceTokenAuth');
    expect(run.code).toBe(0);
    expect(seen).toEqual({ forgedStatus: 400, landedStatus: 200 });
    // The client proves it received the redirect: the state itself, never sent to it by the server, comes back.
    expect(complete?.body).toEqual({
      session_uri: agentCoreComplete?.body.sessionUri,
      state: standin.requests.find((r) => r.operation === 'GetResourceOauth2Token')?.body.customState,
    });
    expect(agentCoreComplete?.body.userIdentifier).toEqual({ userId: 'alice' });
    // A chosen callback port is named, so the server sends the browser back to this listener.
    const return_url = `http://localhost:${callbackPort}/oauth/callback`;
    expect(server.chats().map((r) => r.body)).toEqual([
      { message: 'list my repos', return_url },
      { message: 'list my repos', session_id: 'sess-42', return_url },
    ]);
    expect(run.out()).toContain('You have octo/alpha and octo/beta.');
  });

  it('without a browser: the link, the server\'s words, how to play the browser, then "waiting"', async () => {
    const { callbackPort, server } = await setUp();
    const stdout = new PassThrough();
    let out = '';
    let followed: Promise<unknown> | undefined;
    stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      // Plays `curl -sL <link>` once the client says it is waiting.
      const link = /curl -sL '([^']+)'/.exec(out)?.[1];
      if (link && !followed && out.includes('Waiting for the browser')) followed = fetch(link);
    });

    const code = await runCli({
      argv: ['--url', server.url, '--callback-port', String(callbackPort), '--no-browser', 'list my repos'],
      env: {},
      stdin: Readable.from([]),
      stdout,
      stderr: new PassThrough(),
      signal: new AbortController().signal,
    });
    await followed;

    const order = [
      'Open this link to authorize',
      'Please authorize GitHub access',
      "`curl -sL '",
      'Waiting for the browser',
      'GitHub connected',
    ].map((text) => out.indexOf(text));
    expect(code).toBe(0);
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('never prints the GitHub token', async () => {
    const { callbackPort, server } = await setUp();

    const run = await runClient(
      ['--url', server.url, '--callback-port', String(callbackPort), '--json', 'hi'],
      {
        openBrowser: browser({}),
      },
    );

    expect(run.out() + run.err()).not.toContain('gho_client_roundtrip_token');
  });

  it('stops with the server message when /oauth/complete answers 403', async () => {
    const callbackPort = await freePort();
    const server = await startChatServer(
      (_body, send) => {
        send({
          type: 'oauth_url',
          url: 'http://127.0.0.1:1/consent',
          session_uri: 'urn:x',
          state_hash: consentStateHash('st'),
        });
        send({ type: 'done' });
      },
      {
        getToken: async () => ({ kind: 'token', token: 'unused' }),
        completeConsent: async () => {
          throw new ConsentForbiddenError();
        },
      },
    );

    const run = await runClient(['--url', server.url, '--callback-port', String(callbackPort), 'hi'], {
      openBrowser: async () => {
        await fetch(`http://127.0.0.1:${callbackPort}/oauth/callback?session_id=urn:x&state=st`);
      },
    });

    expect(run.code).toBe(1);
    expect(run.out()).toContain(
      'Completing the GitHub authorization failed with HTTP 403: This consent session was not started by you or has expired.',
    );
    expect(server.chats()).toHaveLength(1);
  });

  it('stops at once, naming the parameters, when the browser returns without the state', async () => {
    const callbackPort = await freePort();
    const server = await startChatServer(
      (_body, send) => {
        send({
          type: 'oauth_url',
          url: 'http://127.0.0.1:1/consent',
          session_uri: 'urn:x',
          state_hash: consentStateHash('st'),
        });
        send({ type: 'done' });
      },
      { getToken: async () => ({ kind: 'token', token: 'unused' }), completeConsent: async () => undefined },
    );

    const run = await runClient(['--url', server.url, '--callback-port', String(callbackPort), 'hi'], {
      openBrowser: async () => {
        await fetch(`http://127.0.0.1:${callbackPort}/oauth/callback?session_id=urn:x&cs=not-the-state`);
      },
    });

    expect(run.code).toBe(1);
    expect(run.out()).toContain('query parameters: session_id, cs');
    expect(run.out()).not.toContain('not-the-state');
    expect(server.received.some((request) => request.path === '/oauth/complete')).toBe(false);
  });
});

describe('bin/chat.ts as a process', () => {
  it('runs one-shot and exits 0', async () => {
    const server = await startChatServer(listReposReply);

    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('node_modules/.bin/tsx', ['bin/chat.ts', '--url', server.url, 'list my repos'], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      child.on('close', (code) => resolve({ code, out }));
    });

    expect(result.code).toBe(0);
    expect(result.out).toContain('You have octo/alpha and octo/beta.');
  });

  it('stops quietly when its reader goes away (`--json | head -1`)', async () => {
    const server = await startChatServer(async (_body, send) => {
      send({ type: 'session', session_id: 's-pipe' });
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        send({ type: 'token', content: `word ${i} ` });
      }
      send({ type: 'done' });
    });

    const result = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn('node_modules/.bin/tsx', ['bin/chat.ts', '--url', server.url, '--json', 'hi']);
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
      });
      // Like `head -1`: read the first line, then close the pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('close', (code) => resolve({ code, err }));
    });

    expect(result.err).not.toContain('EPIPE');
    expect(result.code).toBe(0);
  });

  it('the built command (npm run build:client) runs on plain Node, without tsx or node_modules', async () => {
    const server = await startChatServer(listReposReply);
    const dir = await mkdtemp(join(tmpdir(), 'chat-bundle-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const bundle = join(dir, 'chat.mjs');
    await buildClient(bundle);

    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      // Run from the temp folder: nothing from the repository's node_modules can be picked up.
      const child = spawn(process.execPath, [bundle, '--url', server.url, 'list my repos'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
      });
      child.on('close', (code) => resolve({ code, out }));
    });

    expect(result.code).toBe(0);
    expect(result.out).toContain('You have octo/alpha and octo/beta.');
  });
});
