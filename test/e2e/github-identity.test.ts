import { afterEach, describe, expect, it } from 'vitest';
import { type LocalServer, type LocalServerOptions, startLocalServer } from '../../bin/local/server';
import type { ChatEvent } from '../../lambdas/agent/events';
import type { AgentCoreStandin } from '../support/agentcore-standin';
import { callTool, type Responder } from '../support/bedrock-standin';
import {
  completeConsent,
  eventsOfType,
  firstOfType,
  localUserId,
  sendWithConsent,
  sessionIdOf,
} from '../support/e2e';
import type { GitHubStandin } from '../support/github-standin';
import { offlineResponder } from '../support/offline-model';
import { chat, exchange, textOf } from '../support/sse-client';

/**
 * GitHub on behalf of each user, end to end: HTTP to the local function URL (bin/local/server.ts), the real chat
 * handler, the real BedrockAgentCoreClient against the AgentCore Identity stand-in, the real Octokit (throttling and
 * retry plugins) against the OpenAPI-validating GitHub stand-in, the real BedrockRuntimeClient against the Bedrock
 * stand-in (the offline demo model), and dynalite for the sessions.
 */

const ALICE = 'alice';
const BOB = 'bob';
const SAMPLE_REPOS = ['sample-dev/widgets', 'sample-dev/notes', 'sample-org/platform'];

interface Running {
  server: LocalServer;
  agentcore: AgentCoreStandin;
  github: GitHubStandin;
}

let running: Running | undefined;

async function start(options: Partial<LocalServerOptions> = {}): Promise<Running> {
  const server = await startLocalServer({
    offline: true,
    allowUserHeader: true,
    logLevel: 'SILENT',
    ...options,
  });
  if (!server.agentcore || !server.github)
    throw new Error('offline mode starts the AgentCore and GitHub stand-ins');
  running = { server, agentcore: server.agentcore, github: server.github };
  return running;
}

afterEach(async () => {
  const current = running;
  running = undefined;
  if (!current) return;
  try {
    // Every request Octokit sent must be one GitHub's OpenAPI description allows.
    current.github.assertNoViolations();
  } finally {
    await current.server.close();
  }
});

/** Sends "list my repos" as `user` and completes the consent it asks for; returns the session to continue. */
async function connect({ server }: Running, user: string): Promise<string> {
  const { reply, sessionId } = await sendWithConsent(server, user, { message: 'list my repos' });
  expect(firstOfType(reply.events, 'tool_result')?.ok).toBe(true);
  return sessionId;
}

const forcedTokenRequests = (agentcore: AgentCoreStandin) =>
  agentcore.requests.filter(
    (request) => request.operation === 'GetResourceOauth2Token' && request.body.forceAuthentication === true,
  );

const callsTo = (github: GitHubStandin, operationId: string) =>
  github.requests.filter((request) => request.operationId === operationId);

describe('consent on first use', () => {
  it('the first "list my repos" streams oauth_url and ends the turn without GitHub data', async () => {
    const { server, github } = await start();

    const reply = await chat(server.url, { message: 'list my repos' }, { user: ALICE });

    const consent = firstOfType(reply.events, 'oauth_url');
    expect(consent?.url).toMatch(/\/consent\?request_uri=/);
    expect(consent?.session_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    expect(consent?.state_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(reply.events.at(-1)).toEqual({ type: 'done' });
    expect(eventsOfType(reply.events, 'tool_result')).toEqual([]);
    expect(github.requests).toEqual([]);
  });

  it('POST /oauth/complete as the same user answers 200 and completes with that user id', async () => {
    const { server, agentcore } = await start();
    const first = await chat(server.url, { message: 'list my repos' }, { user: ALICE });
    const consent = firstOfType(first.events, 'oauth_url');
    const state = stateOf(agentcore.simulateConsent(consent?.session_uri ?? ''));

    const done = await exchange(
      server.url,
      '/oauth/complete',
      { session_uri: consent?.session_uri, state },
      { user: ALICE },
    );

    const completion = agentcore.requests.find(
      (request) => request.operation === 'CompleteResourceTokenAuth',
    );
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ status: 'completed' });
    expect(completion?.body).toEqual({
      userIdentifier: { userId: localUserId(ALICE) },
      sessionUri: consent?.session_uri,
    });
  });

  it('the re-sent message in the same session lists the repos', async () => {
    const { server } = await start();
    const first = await chat(server.url, { message: 'list my repos' }, { user: ALICE });
    const sessionId = sessionIdOf(first);
    await completeConsent(server, ALICE, first.events);

    const reply = await chat(
      server.url,
      { message: 'list my repos', session_id: sessionId },
      { user: ALICE },
    );

    expect(firstOfType(reply.events, 'session')?.session_id).toBe(sessionId);
    expect(firstOfType(reply.events, 'tool_use')).toEqual({
      type: 'tool_use',
      tool_name: 'list_github_repos',
      tool_input: { limit: 10 },
    });
    expect(firstOfType(reply.events, 'tool_result')).toEqual({
      type: 'tool_result',
      tool_name: 'list_github_repos',
      ok: true,
      summary: 'Listed 3 repositories',
    });
    for (const repo of SAMPLE_REPOS) expect(textOf(reply.events)).toContain(repo);
    expect(reply.events.at(-1)).toEqual({ type: 'done' });
  });

  it('the turn interrupted by the consent is not kept: the model sees the re-sent message once', async () => {
    const { server } = await start();

    const { sessionId } = await sendWithConsent(server, ALICE, { message: 'list my repos' });
    await chat(server.url, { message: 'thanks', session_id: sessionId }, { user: ALICE });

    const lastRequest = server.bedrock?.requests.at(-1)?.body.messages ?? [];
    const userTexts = lastRequest.flatMap((message) =>
      message.role === 'user'
        ? message.content.flatMap((block) => (typeof block.text === 'string' ? [block.text] : []))
        : [],
    );
    expect(userTexts).toEqual(['list my repos', 'thanks']);
  });
});

/** The `state` AgentCore's redirect carries back to the return URL. */
function stateOf(redirectUrl: string): string {
  return new URL(redirectUrl).searchParams.get('state') ?? '';
}

describe('consent binding', () => {
  it("another user completing A's consent gets 403 consent_forbidden and no GitHub token", async () => {
    const { server, agentcore } = await start();
    const first = await chat(server.url, { message: 'list my repos' }, { user: ALICE });
    const consent = firstOfType(first.events, 'oauth_url');
    // Even holding the state the browser brought back, B is not the user who started this consent.
    const state = stateOf(agentcore.simulateConsent(consent?.session_uri ?? ''));

    const stolen = await exchange(
      server.url,
      '/oauth/complete',
      { session_uri: consent?.session_uri, state },
      { user: BOB },
    );

    expect(stolen.status).toBe(403);
    expect(stolen.json?.type).toBe('consent_forbidden');
    expect(agentcore.tokenFor(localUserId(BOB))).toBeUndefined();
    expect(agentcore.tokenFor(localUserId(ALICE))).toBeUndefined();
  });

  it("A's consent still completes after B's refused attempt, and A's next message works", async () => {
    const { server, agentcore } = await start();
    const first = await chat(server.url, { message: 'list my repos' }, { user: ALICE });
    const consent = firstOfType(first.events, 'oauth_url');
    const state = stateOf(agentcore.simulateConsent(consent?.session_uri ?? ''));
    await exchange(
      server.url,
      '/oauth/complete',
      { session_uri: consent?.session_uri, state },
      { user: BOB },
    );

    const own = await exchange(
      server.url,
      '/oauth/complete',
      { session_uri: consent?.session_uri, state },
      { user: ALICE },
    );
    const next = await chat(
      server.url,
      { message: 'list my repos', session_id: sessionIdOf(first) },
      { user: ALICE },
    );

    expect(own.status).toBe(200);
    expect(firstOfType(next.events, 'tool_result')?.ok).toBe(true);
    expect(textOf(next.events)).toContain('sample-dev/widgets');
  });

  it("a consent link approved in someone else's browser cannot be completed by the user who sent it", async () => {
    // A starts a consent and sends the link to a victim, who approves it: the redirect (and its state) reaches the
    // victim's machine, not A's. A knows the session URI and the state's hash, never the state.
    const { server, agentcore } = await start();
    const first = await chat(server.url, { message: 'list my repos' }, { user: ALICE });
    const consent = firstOfType(first.events, 'oauth_url');
    agentcore.simulateConsent(consent?.session_uri ?? '');

    const withoutState = await exchange(
      server.url,
      '/oauth/complete',
      { session_uri: consent?.session_uri, state: consent?.state_hash },
      { user: ALICE },
    );

    expect(withoutState.status).toBe(403);
    expect(agentcore.tokenFor(localUserId(ALICE))).toBeUndefined();
    expect(agentcore.requests.some((request) => request.operation === 'CompleteResourceTokenAuth')).toBe(
      false,
    );
  });

  it("B's own GitHub call asks B for a separate consent instead of using A's token", async () => {
    const running = await start();
    await connect(running, ALICE);

    const reply = await chat(running.server.url, { message: 'list my repos' }, { user: BOB });

    expect(firstOfType(reply.events, 'oauth_url')).toBeDefined();
    expect(eventsOfType(reply.events, 'tool_result')).toEqual([]);
  });
});

describe('revoked GitHub token', () => {
  it('the next GitHub turn forces exactly one re-consent', async () => {
    const running = await start();
    const { server, agentcore, github } = running;
    const sessionId = await connect(running, ALICE);
    github.revokeToken(agentcore.tokenFor(localUserId(ALICE)) ?? '');

    const reply = await chat(
      server.url,
      { message: 'list my repos', session_id: sessionId },
      { user: ALICE },
    );

    expect(eventsOfType(reply.events, 'oauth_url')).toHaveLength(1);
    expect(eventsOfType(reply.events, 'tool_result')).toEqual([]);
    expect(forcedTokenRequests(agentcore)).toHaveLength(1);
    expect(callsTo(github, 'repos/list-for-authenticated-user').map((request) => request.status)).toEqual([
      200, 401,
    ]);
  });

  it('after the re-consent the message works again with a new token', async () => {
    const running = await start();
    const { server, agentcore, github } = running;
    const sessionId = await connect(running, ALICE);
    const revoked = agentcore.tokenFor(localUserId(ALICE)) ?? '';
    github.revokeToken(revoked);
    const asked = await chat(
      server.url,
      { message: 'list my repos', session_id: sessionId },
      { user: ALICE },
    );
    await completeConsent(server, ALICE, asked.events);

    const reply = await chat(
      server.url,
      { message: 'list my repos', session_id: sessionId },
      { user: ALICE },
    );

    expect(firstOfType(reply.events, 'tool_result')).toMatchObject({
      ok: true,
      summary: 'Listed 3 repositories',
    });
    expect(textOf(reply.events)).toContain('sample-org/platform');
    expect(agentcore.tokenFor(localUserId(ALICE))).not.toBe(revoked);
    expect(forcedTokenRequests(agentcore)).toHaveLength(1);
  });
});

describe('GitHub rate limits through the whole stack', () => {
  it('a secondary rate limit on listing repos is retried and the turn succeeds', async () => {
    const running = await start();
    const { server, github } = running;
    const sessionId = await connect(running, ALICE);
    github.inject('repos/list-for-authenticated-user', {
      type: 'secondary_rate_limit',
      retryAfterSeconds: 1,
    });

    const reply = await chat(
      server.url,
      { message: 'list my repos', session_id: sessionId },
      { user: ALICE },
    );

    expect(firstOfType(reply.events, 'tool_result')).toMatchObject({
      ok: true,
      summary: 'Listed 3 repositories',
    });
    expect(textOf(reply.events)).toContain('sample-dev/widgets');
    // One from the consent round trip, then the limited call and its retry.
    expect(callsTo(github, 'repos/list-for-authenticated-user').map((request) => request.status)).toEqual([
      200, 403, 200,
    ]);
  });

  it('an exhausted primary rate limit gives a failed tool result that says when it resets', async () => {
    const running = await start();
    const { server, github } = running;
    const sessionId = await connect(running, ALICE);
    github.inject(
      'repos/list-for-authenticated-user',
      { type: 'rate_limit', resetInSeconds: 3600 },
      { times: Number.POSITIVE_INFINITY },
    );

    const reply = await chat(
      server.url,
      { message: 'list my repos', session_id: sessionId },
      { user: ALICE },
    );

    expect(firstOfType(reply.events, 'tool_result')).toMatchObject({
      ok: false,
      summary: 'Failed: rate limit exhausted',
    });
    expect(textOf(reply.events)).toMatch(
      /rate limit .* used up; it resets at \d{4}-\d\d-\d\dT[\d:]+Z \(in about 60 minutes\)/,
    );
    expect(eventsOfType(reply.events, 'error')).toEqual([]);
    expect(reply.events.at(-1)).toEqual({ type: 'done' });
  });
});

describe('log capture of a full session', () => {
  /** The demo model, plus "create an issue in OWNER/REPO titled TITLE" → create_github_issue. */
  const withIssueCreation = (): Responder => {
    const demo = offlineResponder();
    return (body, index) => {
      const last = body.messages.at(-1);
      const text = (last?.content ?? []).flatMap((block) =>
        typeof block.text === 'string' ? [block.text] : [],
      );
      const wanted = /create an issue in ([\w-]+)\/([\w.-]+) titled (.+)/i.exec(text.join('\n'));
      if (last?.role === 'user' && wanted) {
        return callTool(
          'create_github_issue',
          { owner: wanted[1], repo: wanted[2], title: wanted[3] },
          'Creating it.',
        );
      }
      return demo(body, index);
    };
  };

  /** Everything this process writes to stdout/stderr and the console while `fn` runs. */
  async function captureOutput(fn: () => Promise<void>): Promise<string> {
    const chunks: string[] = [];
    const record = (chunk: unknown) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    };
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const originals = consoleMethods.map((name) => console[name]);
    const streams = [process.stdout, process.stderr];
    const writes = streams.map((stream) => stream.write);
    // Kept, not echoed (a failing assertion shows the text it searched).
    for (const stream of streams) {
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        record(chunk);
        const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        done?.();
        return true;
      }) as typeof stream.write;
    }
    for (const name of consoleMethods) {
      console[name] = (...args: unknown[]) => record(`${args.map(String).join(' ')}\n`);
    }
    try {
      await fn();
    } finally {
      streams.forEach((stream, i) => {
        stream.write = writes[i] as typeof stream.write;
      });
      consoleMethods.forEach((name, i) => {
        console[name] = originals[i] as (typeof console)[typeof name];
      });
    }
    return chunks.join('');
  }

  it('no GitHub token, workload token or authorization header appears in the logs or the events', async () => {
    const running = await start({ logLevel: 'DEBUG', responder: withIssueCreation() });
    const { server, agentcore, github } = running;
    const streamed: string[] = [];
    const keep = (events: ChatEvent[]) => streamed.push(JSON.stringify(events));

    const logs = await captureOutput(async () => {
      const first = await chat(server.url, { message: 'list my repos' }, { user: ALICE });
      keep(first.events);
      await completeConsent(server, ALICE, first.events);
      const sessionId = sessionIdOf(first);
      for (const message of [
        'list my repos',
        'create an issue in sample-dev/widgets titled Widgets flicker on resize',
        // Listing repos read text written by others, so the write waits for this approval.
        'approve',
        'show sample-dev/does-not-exist',
      ]) {
        keep((await chat(server.url, { message, session_id: sessionId }, { user: ALICE })).events);
      }
    });

    const githubToken = agentcore.tokenFor(localUserId(ALICE)) ?? '';
    const workloadTokens = agentcore.requests.flatMap((request) =>
      typeof request.body.workloadIdentityToken === 'string' ? [request.body.workloadIdentityToken] : [],
    );
    const authorizations = [...github.requests, ...agentcore.requests].flatMap((request) => {
      const value = request.headers.authorization;
      return typeof value === 'string' ? [value] : [];
    });
    const secrets = [...new Set([githubToken, ...workloadTokens, ...authorizations])];
    const everything = `${logs}\n${streamed.join('\n')}`;
    // The session really ran (issue created, a 404 reported) and the capture really caught the DEBUG logs.
    expect(github.state.issues.some((issue) => issue.title === 'Widgets flicker on resize')).toBe(true);
    expect(streamed.join('\n')).toContain('Failed: not found (404)');
    expect(logs).toMatch(/"level":"DEBUG"/);
    expect(githubToken).toMatch(/^gho_local_/);
    expect(workloadTokens.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('gho_');
  });
});
