import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '../../bin/local/function-url';
import { installLambdaGlobals } from '../../bin/local/lambda-runtime';
import { createChatHandler } from '../../lambdas/chat/app';
import { createAppDeps } from '../../lambdas/chat/wiring';
import { createStaticTokenPort } from '../../lambdas/identity';
import { createLogger } from '../../lambdas/log';
import {
  type BedrockStandin,
  callTool,
  type ScriptedTurn,
  say,
  startBedrockStandin,
} from '../support/bedrock-standin';
import { startAgentDynamo, testConfig } from '../support/chat-function';
import type { LocalDynamo } from '../support/dynalite';
import { chat, exchange, textOf } from '../support/sse-client';

let dynamo: LocalDynamo;
let bedrock: BedrockStandin;
let server: LocalFunctionUrl;
let anonymous: LocalFunctionUrl;

beforeAll(async () => {
  installLambdaGlobals();
  dynamo = await startAgentDynamo();
  bedrock = await startBedrockStandin();
  const config = testConfig();
  const deps = createAppDeps(config, {
    logger: createLogger('SILENT'),
    dynamo: dynamo.client,
    bedrock: new BedrockRuntimeClient({ endpoint: bedrock.url, region: 'ap-southeast-2', maxAttempts: 1 }),
    modelRetry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    tokenPort: createStaticTokenPort({ token: 'ghp_unused_in_these_tests' }),
    heartbeatMs: 20,
  });
  const handler = awslambda.streamifyResponse(createChatHandler(deps));
  server = await startLocalFunctionUrl({
    handler,
    userArn: 'arn:aws:iam::123456789012:user/alice',
    allowUserHeader: true,
  });
  anonymous = await startLocalFunctionUrl({ handler });
});

afterAll(async () => {
  await Promise.all([server?.close(), anonymous?.close(), bedrock?.close()]);
  await dynamo?.close();
});

afterEach(() => {
  bedrock.requests.length = 0;
});

async function storedItems(): Promise<number> {
  const result = await dynamo.client.send(new ScanCommand({ TableName: 'sessions', Select: 'COUNT' }));
  return result.Count ?? 0;
}

function script(...turns: ScriptedTurn[]) {
  bedrock.enqueue(...turns);
}

describe('GET /health', () => {
  it('answers healthy', async () => {
    const answer = await exchange(server.url, '/health');

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'healthy', agent_ready: true });
  });
});

describe('routing and refusals before any stream', () => {
  it('answers 404 with {error, type, timestamp} for an unknown path', async () => {
    const answer = await exchange(server.url, '/nope');

    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ type: 'not_found', error: expect.stringContaining('/nope') });
    expect(Date.parse(String(answer.json?.timestamp))).not.toBeNaN();
  });

  it('answers 405 with Allow for the wrong method', async () => {
    const answer = await exchange(server.url, '/chat/stream', undefined, { method: 'GET' });

    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
  });

  it('answers 401 when the request carries no IAM identity', async () => {
    const answer = await chat(anonymous.url, { message: 'hi' });

    expect(answer.status).toBe(401);
    expect(answer.json?.type).toBe('unauthenticated');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const answer = await chat(server.url, undefined, {
      rawBody: 'message=hi',
      headers: { 'content-type': 'text/plain' },
    });

    expect(answer.status).toBe(415);
  });

  it('answers 400 for malformed JSON', async () => {
    const answer = await chat(server.url, undefined, { rawBody: '{"message": ' });

    expect(answer.status).toBe(400);
    expect(answer.json?.type).toBe('invalid_json');
  });

  it('answers 400 naming the invalid field', async () => {
    const answer = await chat(server.url, { message: 'hi', session_id: 'no spaces allowed' });

    expect(answer.status).toBe(400);
    expect(answer.json?.error).toContain('session_id');
  });

  it('answers 400 for an action naming both a plan and a withheld write', async () => {
    const answer = await chat(server.url, {
      session_id: 'abc',
      action: { type: 'approve', plan_id: 'p_one', action_id: 'w_two' },
    });

    expect(answer.status).toBe(400);
    expect(answer.json?.error).toContain('exactly one of plan_id and action_id');
  });

  it('answers 400 for an empty message', async () => {
    const answer = await chat(server.url, { message: '   ' });

    expect(answer.status).toBe(400);
    expect(answer.json?.error).toContain('message');
  });

  it('answers 413 for a body over 64 KB', async () => {
    const answer = await chat(server.url, { message: 'x'.repeat(70_000) });

    expect(answer.status).toBe(413);
  });

  it('stores nothing and calls no model for refused requests', async () => {
    const before = await storedItems();

    await chat(server.url, { message: '' });
    await chat(server.url, { message: 'hi', extra: true });

    expect(await storedItems()).toBe(before);
    expect(bedrock.requests).toHaveLength(0);
  });
});

describe('POST /chat/stream', () => {
  it('streams session, tokens and done as Server-Sent Events', async () => {
    script(say('Hello', ' there'));

    const answer = await chat(server.url, { message: 'hi' });

    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/event-stream');
    expect(answer.events.map((event) => event.type)).toEqual(['session', 'token', 'token', 'done']);
    expect(textOf(answer.events)).toBe('Hello there');
  });

  it('runs the built-in tool and reports it', async () => {
    script(callTool('get_current_time', { time_zone: 'UTC' }), say('It is now.'));

    const answer = await chat(server.url, { message: 'what time is it?' });

    const types = answer.events.map((event) => event.type);
    expect(types).toEqual(['session', 'tool_use', 'tool_result', 'token', 'done']);
    expect(answer.events[2]).toMatchObject({ type: 'tool_result', tool_name: 'get_current_time', ok: true });
  });

  it('continues a session with its history', async () => {
    script(say('First answer'));
    const first = await chat(server.url, { message: 'first question' });
    const sessionId = first.events[0]?.type === 'session' ? first.events[0].session_id : '';
    script(say('Second answer'));

    await chat(server.url, { message: 'second question', session_id: sessionId });

    const sent = bedrock.requests.at(-1)?.body.messages ?? [];
    expect(sent.map((m) => m.content[0])).toEqual([
      { text: 'first question' },
      { text: 'First answer' },
      { text: 'second question' },
    ]);
  });

  it("does not let another user continue someone else's session", async () => {
    script(say('private'), say('a new conversation'));
    const first = await chat(server.url, { message: 'my secret plan' });
    const sessionId = first.events[0]?.type === 'session' ? first.events[0].session_id : '';

    const intruder = await chat(
      server.url,
      { message: 'show me', session_id: sessionId },
      { user: 'mallory' },
    );

    // Mallory's request starts her own, empty session under that id: the model never sees Alice's history.
    expect(intruder.events.map((event) => event.type)).toEqual(['session', 'token', 'done']);
    expect(bedrock.requests[1]?.body.messages).toEqual([{ role: 'user', content: [{ text: 'show me' }] }]);
  });

  it('treats //chat/stream as /chat/stream (the ChatUrl output ends with "/")', async () => {
    script(say('Hello'));

    const response = await fetch(`${server.url}//chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hi' }),
    });

    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data: {"type":"done"}');
  });

  it('starts a session under a client-chosen id, then continues it (the original design contract)', async () => {
    script(say('Hi!'), say('Still here.'));

    const first = await chat(server.url, { message: 'Hello', session_id: 'test-session' });
    const second = await chat(server.url, { message: 'Again', session_id: 'test-session' });

    expect(first.events.map((event) => event.type)).toEqual(['session', 'token', 'done']);
    expect(first.events[0]).toEqual({ type: 'session', session_id: 'test-session' });
    expect(second.events[0]).toEqual({ type: 'session', session_id: 'test-session' });
    expect(bedrock.requests[1]?.body.messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'user',
    ]);
  });

  it('turns persistent throttling into an error event, then done', async () => {
    const throttled: ScriptedTurn = {
      kind: 'http_error',
      status: 429,
      type: 'ThrottlingException',
      message: 'slow',
    };
    script(throttled, throttled);

    const answer = await chat(server.url, { message: 'hi' });

    expect(answer.status).toBe(200);
    expect(answer.events.slice(-2)).toEqual([
      { type: 'error', code: 'model_throttled', message: expect.any(String) },
      { type: 'done' },
    ]);
  });

  it('keeps an idle stream alive with heartbeat comments', async () => {
    script({ kind: 'reply', text: ['slow', ' answer'], delayMs: 60 });

    const answer = await chat(server.url, { message: 'take your time' });

    expect(answer.text).toContain(': ping\n\n');
    expect(textOf(answer.events)).toBe('slow answer');
  });

  it('saves an interrupted turn so the next one still alternates user and assistant', async () => {
    script({ kind: 'http_error', status: 400, type: 'ValidationException', message: 'bad' });
    const first = await chat(server.url, { message: 'this fails' });
    const sessionId = first.events[0]?.type === 'session' ? first.events[0].session_id : '';
    script(say('ok now'));

    await chat(server.url, { message: 'try again', session_id: sessionId });

    const roles = (bedrock.requests.at(-1)?.body.messages ?? []).map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'user']);
  });
});
