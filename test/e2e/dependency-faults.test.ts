import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '../../bin/local/function-url';
import { installLambdaGlobals } from '../../bin/local/lambda-runtime';
import type { ChatEvent } from '../../lambdas/agent/events';
import { createChatHandler } from '../../lambdas/chat/app';
import { createAppDeps } from '../../lambdas/chat/wiring';
import { loadConfig } from '../../lambdas/config';
import { createLogger } from '../../lambdas/log';
import { type BedrockStandin, callTool, startBedrockStandin } from '../support/bedrock-standin';
import { type BlackHole, startBlackHole } from '../support/black-hole';
import { startAgentDynamo } from '../support/chat-function';
import type { LocalDynamo } from '../support/dynalite';
import { chat } from '../support/sse-client';

/**
 * Hung dependencies, end to end: the chat handler exactly as `createAppDeps` wires it (its own DynamoDB, AgentCore,
 * Bedrock and GitHub clients, pointed at loopback with the SDK's AWS_ENDPOINT_URL_<SERVICE> variables and
 * GITHUB_API_URL), one dependency replaced by a black hole that accepts connections and never answers. Each stream
 * must end with `error` (dependency_timeout) then `done` within seconds instead of hanging until the function timeout.
 */

/**
 * Generous bounds for the dependencies that answer (a busy CI machine must not time them out); each test shortens
 * the bound of the one it black-holes, so a hang shows within the test. Production defaults are seconds.
 */
const TIMEOUTS = {
  DEPENDENCY_CONNECT_TIMEOUT_MS: '5000',
  DEPENDENCY_REQUEST_TIMEOUT_MS: '5000',
  MODEL_IDLE_TIMEOUT_MS: '5000',
  GITHUB_REQUEST_TIMEOUT_MS: '5000',
};
const SHORT = '300';
const STATIC_GITHUB = { IDENTITY_PROVIDER: 'static', GITHUB_TOKEN: 'ghp_x' };
/** How long a test waits for `done` before calling the stream hung. */
const HUNG_AFTER_MS = 8_000;
const USER_ARN = 'arn:aws:iam::123456789012:user/patient';
const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_BEDROCK_AGENTCORE',
  'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
] as const;

let dynamo: LocalDynamo;
let bedrock: BedrockStandin;
let hole: BlackHole;
let server: LocalFunctionUrl | undefined;

beforeAll(async () => {
  installLambdaGlobals();
  dynamo = await startAgentDynamo();
  bedrock = await startBedrockStandin();
  hole = await startBlackHole();
});

afterEach(async () => {
  for (const name of ENDPOINT_VARIABLES) delete process.env[name];
  await server?.close();
  server = undefined;
  bedrock.requests.length = 0;
});

afterAll(async () => {
  await Promise.all([bedrock?.close(), hole?.close()]);
  await dynamo?.close();
});

/**
 * Starts the handler as production wires it. `endpoints` points the SDK's clients (through the environment, which
 * they read on first use); `env` adds configuration variables.
 */
async function startChat(
  endpoints: { dynamodb: string; agentcore?: string },
  env: Record<string, string> = {},
): Promise<string> {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = bedrock.url;
  if (endpoints.agentcore) process.env.AWS_ENDPOINT_URL_BEDROCK_AGENTCORE = endpoints.agentcore;
  const config = loadConfig({
    AWS_REGION: 'ap-southeast-2',
    MODEL_ID: 'test-model',
    SESSIONS_TABLE: 'sessions',
    PLANS_TABLE: 'plans',
    LOG_LEVEL: 'SILENT',
    ...TIMEOUTS,
    ...env,
  });
  const deps = createAppDeps(config, { logger: createLogger('SILENT') });
  server = await startLocalFunctionUrl({
    handler: awslambda.streamifyResponse(createChatHandler(deps)),
    userArn: USER_ARN,
  });
  return server.url;
}

/** Sends a message and times the stream to its end; a stream still open after {@link HUNG_AFTER_MS} is hung. */
async function timedChat(url: string, body: unknown): Promise<{ events: ChatEvent[]; ms: number }> {
  const started = performance.now();
  const reply = await chat(url, body, { signal: AbortSignal.timeout(HUNG_AFTER_MS) }).catch(
    (error: unknown) => {
      throw new Error(`No done within ${HUNG_AFTER_MS} ms: the stream hung (${String(error)})`);
    },
  );
  const ms = Math.round(performance.now() - started);
  return { events: reply.events, ms };
}

function ending(events: ChatEvent[]): Array<string | undefined> {
  return events.slice(-2).map((event) => (event.type === 'error' ? event.code : event.type));
}

describe('a black-holed dependency', () => {
  it('DynamoDB: the session load times out with dependency_timeout, then done, within seconds', async () => {
    const url = await startChat(
      { dynamodb: hole.url },
      { ...STATIC_GITHUB, DEPENDENCY_REQUEST_TIMEOUT_MS: SHORT },
    );

    const { events, ms } = await timedChat(url, { message: 'hello again', session_id: 'known-session' });

    console.info(`black-holed DynamoDB: done after ${ms} ms`);
    expect(ending(events)).toEqual(['dependency_timeout', 'done']);
    expect(ms).toBeLessThan(5_000);
    expect(bedrock.requests).toHaveLength(0);
  });

  it('AgentCore Identity: the GitHub token request times out and stops the turn, then done', async () => {
    // A second model call would find no scripted turn and fail with another code.
    bedrock.enqueue(callTool('list_github_repos', {}));
    const url = await startChat(
      { dynamodb: dynamo.endpoint, agentcore: hole.url },
      { DEPENDENCY_REQUEST_TIMEOUT_MS: SHORT },
    );

    const { events, ms } = await timedChat(url, { message: 'list my repos' });

    console.info(`black-holed AgentCore: done after ${ms} ms`);
    expect(events.find((event) => event.type === 'tool_result')).toMatchObject({ ok: false });
    expect(ending(events)).toEqual(['dependency_timeout', 'done']);
    expect(ms).toBeLessThan(5_000);
    expect(bedrock.requests).toHaveLength(1);
  });

  it('GitHub: the request times out once (not retried) and stops the turn, then done', async () => {
    // A second model call would find no scripted turn and fail with another code.
    bedrock.enqueue(callTool('list_github_repos', {}));
    const requestsBefore = hole.requests();
    const url = await startChat(
      { dynamodb: dynamo.endpoint },
      { ...STATIC_GITHUB, GITHUB_API_URL: hole.url, GITHUB_REQUEST_TIMEOUT_MS: SHORT },
    );

    const { events, ms } = await timedChat(url, { message: 'list my repos' });

    console.info(`black-holed GitHub: done after ${ms} ms`);
    expect(ending(events)).toEqual(['dependency_timeout', 'done']);
    expect(ms).toBeLessThan(5_000);
    expect(hole.requests() - requestsBefore).toBe(1);
  });

  it('Bedrock: a stream that stalls mid-answer times out with dependency_timeout, then done', async () => {
    bedrock.enqueue({ kind: 'hang', text: ['Let me think'] });
    const url = await startChat(
      { dynamodb: dynamo.endpoint },
      { ...STATIC_GITHUB, MODEL_IDLE_TIMEOUT_MS: '1000' },
    );

    const { events, ms } = await timedChat(url, { message: 'think hard' });

    console.info(`stalled Bedrock stream: done after ${ms} ms`);
    expect(ending(events)).toEqual(['dependency_timeout', 'done']);
    expect(ms).toBeLessThan(5_000);
  });

  it('Bedrock: an answer that keeps streaming longer than the idle timeout is not cut off', async () => {
    // 10 frames 150 ms apart: a 1.5 s answer, never silent for the 1 s idle bound.
    bedrock.enqueue({ kind: 'reply', text: ['one ', 'two ', 'three ', 'four ', 'five'], delayMs: 150 });
    const url = await startChat(
      { dynamodb: dynamo.endpoint },
      { ...STATIC_GITHUB, MODEL_IDLE_TIMEOUT_MS: '1000' },
    );

    const { events } = await timedChat(url, { message: 'count to five' });

    expect(events.filter((event) => event.type === 'token')).toHaveLength(5);
    expect(events.at(-1)?.type).toBe('done');
    expect(events.some((event) => event.type === 'error')).toBe(false);
  });
});
