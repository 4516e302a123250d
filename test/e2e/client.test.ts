import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../bin/client/main';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import type { ChatEvent } from '../../lambdas/agent/events';
import type { AgentCoreStandin } from '../support/agentcore-standin';
import { localUserId } from '../support/e2e';

/**
 * The terminal client (bin/client/main.ts `runCli`, in-process with injected streams) against the real local server:
 * real HTTP and SSE to the function URL stand-in, the chat handler with the real AgentCore and Octokit clients pointed
 * at their stand-ins, and the client's own loopback listener receiving the AgentCore stand-in's consent redirect.
 */

const SAMPLE_REPOS = ['sample-dev/widgets', 'sample-dev/notes', 'sample-org/platform'];
/** The local server's default IAM user (the client does not pick one). */
const DEVELOPER = localUserId('developer');

interface Setup {
  server: LocalServer;
  agentcore: AgentCoreStandin;
  callbackPort: number;
  returnUrl: string;
  /** URLs the client asked the "browser" to open. */
  opened: string[];
  /** Plays the browser: opens the consent page and follows AgentCore's redirect back to the client's listener. */
  browser: (url: string) => Promise<void>;
}

let server: LocalServer | undefined;
afterEach(async () => {
  try {
    server?.github?.assertNoViolations();
  } finally {
    await server?.close();
    server = undefined;
  }
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A local server whose allowed return URL is a free loopback port the client will listen on. */
async function setUp(): Promise<Setup> {
  const callbackPort = await freePort();
  const returnUrl = `http://localhost:${callbackPort}/oauth/callback`;
  server = await startLocalServer({
    offline: true,
    logLevel: 'SILENT',
    env: { OAUTH_RETURN_URLS: returnUrl },
  });
  if (!server.agentcore) throw new Error('offline mode starts the AgentCore stand-in');
  const opened: string[] = [];
  const browser = async (url: string) => {
    opened.push(url);
    const landed = await fetch(url);
    if (!landed.ok) throw new Error(`The consent redirect landed on HTTP ${landed.status}`);
  };
  return { server, agentcore: server.agentcore, callbackPort, returnUrl, opened, browser };
}

/** Runs the client in-process and collects what it printed. */
async function runClient(argv: string[], browser: (url: string) => Promise<void>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  const code = await runCli({
    argv,
    env: {},
    stdin: Readable.from([]),
    stdout,
    stderr,
    signal: new AbortController().signal,
    openBrowser: browser,
    waitForDeviceConfirmation: async () => undefined,
  });
  return { code, out: out.join(''), err: err.join('') };
}

const args = (setup: Setup, ...rest: string[]) => [
  '--url',
  setup.server.url,
  '--callback-port',
  String(setup.callbackPort),
  ...rest,
];

/** Parses every stdout line as a JSON event; throws on any line that is not one. */
function jsonEvents(out: string): ChatEvent[] {
  return out
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const event = JSON.parse(line) as { type?: unknown };
      if (typeof event.type !== 'string') throw new Error(`Not an event line: ${line}`);
      return event as ChatEvent;
    });
}

describe('terminal client against the local server', () => {
  it('one-shot: consents in the browser, re-sends the message and prints the repos', async () => {
    const setup = await setUp();

    const run = await runClient(args(setup, 'list my repos'), setup.browser);

    expect(run.code).toBe(0);
    expect(run.out).toContain('GitHub connected');
    expect(run.out).toContain('⚙ list_github_repos {"limit":10}\n✓ Listed 3 repositories');
    for (const repo of SAMPLE_REPOS) expect(run.out).toContain(repo);
    expect(setup.opened).toHaveLength(1);
  });

  it('one-shot: the consent returns to the client listener and completes as the signed-in user', async () => {
    const setup = await setUp();

    await runClient(args(setup, 'list my repos'), setup.browser);

    const asked = setup.agentcore.requests.find((request) => request.operation === 'GetResourceOauth2Token');
    const completed = setup.agentcore.requests.find(
      (request) => request.operation === 'CompleteResourceTokenAuth',
    );
    expect(asked?.body.resourceOauth2ReturnUrl).toBe(setup.returnUrl);
    expect(completed?.body.userIdentifier).toEqual({ userId: DEVELOPER });
    expect(setup.agentcore.tokenFor(DEVELOPER)).toMatch(/^gho_local_/);
  });

  it('--json: stdout carries only JSON event lines, through the consent and the re-sent turn', async () => {
    const setup = await setUp();

    const run = await runClient(args(setup, '--json', 'list my repos'), setup.browser);

    const events = jsonEvents(run.out);
    const types = new Set(events.map((event) => event.type));
    expect(run.code).toBe(0);
    for (const type of ['session', 'oauth_url', 'tool_use', 'tool_result', 'token', 'done'] as const) {
      expect(types).toContain(type);
    }
    expect(events.filter((event) => event.type === 'done')).toHaveLength(2);
    expect(events.find((event) => event.type === 'tool_result')).toMatchObject({ ok: true });
    // What a person reads goes to stderr.
    expect(run.err).toContain('GitHub connected');
  });

  it('a second one-shot run after the consent does not ask again', async () => {
    const setup = await setUp();
    await runClient(args(setup, 'list my repos'), setup.browser);
    const browserVisits = setup.opened.length;

    const run = await runClient(args(setup, '--json', 'list my repos'), setup.browser);

    const events = jsonEvents(run.out);
    expect(run.code).toBe(0);
    expect(events.map((event) => event.type)).not.toContain('oauth_url');
    expect(events.find((event) => event.type === 'tool_result')).toMatchObject({ ok: true });
    expect(setup.opened).toHaveLength(browserVisits);
    expect(run.err).not.toContain('GitHub needs your permission');
  });

  it('never prints the GitHub token the consent produced', async () => {
    const setup = await setUp();

    const plain = await runClient(args(setup, 'list my repos'), setup.browser);
    const json = await runClient(args(setup, '--json', 'list my repos'), setup.browser);

    const token = setup.agentcore.tokenFor(DEVELOPER) ?? '';
    expect(token).toMatch(/^gho_local_/);
    expect(plain.out + plain.err + json.out + json.err).not.toContain(token);
  });
});
