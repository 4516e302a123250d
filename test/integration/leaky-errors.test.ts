import { BedrockAgentCoreClient } from '@aws-sdk/client-bedrock-agentcore';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '../../bin/local/function-url';
import { installLambdaGlobals } from '../../bin/local/lambda-runtime';
import type { ChatEvent } from '../../lambdas/agent/events';
import { createChatHandler } from '../../lambdas/chat/app';
import { createAppDeps } from '../../lambdas/chat/wiring';
import { createLogger } from '../../lambdas/log';
import { type AgentCoreStandin, startAgentCoreStandin } from '../support/agentcore-standin';
import { type BedrockStandin, callTool, say, startBedrockStandin } from '../support/bedrock-standin';
import { startAgentDynamo, testConfig } from '../support/chat-function';
import type { LocalDynamo } from '../support/dynalite';
import { chat, exchange } from '../support/sse-client';

/**
 * AWS's own error text names the function's role ARN and the account id. It must reach the log, and never an `error`
 * event, a `tool_result`, what the model is told (it would repeat it), or an `/oauth/complete` answer. The errors are
 * injected by the Bedrock and AgentCore stand-ins, so the real SDK clients raise their own typed exceptions.
 */

const ACCOUNT = '210987654321';
const ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/GitHubCodingAgent-ChatFunctionRole-1A2B3C/GitHubCodingAgent-Chat`;
const denied = (action: string, resource: string) =>
  `User: ${ROLE} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
const WORKLOAD_ARN = `arn:aws:bedrock-agentcore:ap-southeast-2:${ACCOUNT}:workload-identity-directory/default/workload-identity/github-coding-agent`;
const SECRET_ARN = `arn:aws:secretsmanager:ap-southeast-2:${ACCOUNT}:secret:github-oauth-client-AbCdEf`;

/** True when `text` carries anything of AWS's own error text a user must not see. */
const leaks = (text: string) => text.includes('arn:') || /\d{12}/.test(text);

let dynamo: LocalDynamo;
let bedrock: BedrockStandin;
let agentcore: AgentCoreStandin;
let server: LocalFunctionUrl;
const logger = createLogger('DEBUG');
const logged = {
  warn: vi.spyOn(logger, 'warn').mockImplementation(() => undefined),
  error: vi.spyOn(logger, 'error').mockImplementation(() => undefined),
  info: vi.spyOn(logger, 'info').mockImplementation(() => undefined),
  debug: vi.spyOn(logger, 'debug').mockImplementation(() => undefined),
};
const logText = () => JSON.stringify([...logged.warn.mock.calls, ...logged.error.mock.calls]);

beforeAll(async () => {
  installLambdaGlobals();
  dynamo = await startAgentDynamo();
  bedrock = await startBedrockStandin();
  agentcore = await startAgentCoreStandin();
  const config = testConfig({ IDENTITY_PROVIDER: 'agentcore' });
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const deps = createAppDeps(config, {
    logger,
    dynamo: dynamo.client,
    bedrock: new BedrockRuntimeClient({
      endpoint: bedrock.url,
      region: 'ap-southeast-2',
      credentials,
      maxAttempts: 1,
    }),
    modelRetry: { maxAttempts: 1 },
    identity: {
      agentCoreClient: new BedrockAgentCoreClient({
        endpoint: agentcore.url,
        region: 'ap-southeast-2',
        credentials,
        maxAttempts: 1,
      }),
    },
  });
  server = await startLocalFunctionUrl({
    handler: awslambda.streamifyResponse(createChatHandler(deps)),
    userArn: 'arn:aws:iam::123456789012:user/alice',
    allowUserHeader: true,
  });
});

afterAll(async () => {
  await Promise.all([server?.close(), bedrock?.close(), agentcore?.close()]);
  await dynamo?.close();
});

afterEach(() => {
  for (const spy of Object.values(logged)) spy.mockClear();
  bedrock.requests.length = 0;
});

/** Starts a GitHub consent for `user` and plays the browser; returns what the client would send to /oauth/complete. */
async function startedConsent(user: string): Promise<{ session_uri: string; state: string }> {
  bedrock.enqueue(callTool('list_github_repos', {}));
  const turn = await chat(server.url, { message: 'list my repos' }, { user });
  const consent = turn.events.find(
    (event): event is Extract<ChatEvent, { type: 'oauth_url' }> => event.type === 'oauth_url',
  );
  if (!consent) throw new Error(`expected an oauth_url event, got ${JSON.stringify(turn.events)}`);
  const redirect = new URL(agentcore.simulateConsent(consent.session_uri));
  return { session_uri: consent.session_uri, state: redirect.searchParams.get('state') ?? '' };
}

describe('errors from AWS reach people as a code and a sentence, and the log as they are', () => {
  it('streams a Bedrock access denial as model_access_denied without the role ARN or account id', async () => {
    bedrock.enqueue({
      kind: 'http_error',
      status: 403,
      type: 'AccessDeniedException',
      message: denied(
        'bedrock:InvokeModelWithResponseStream',
        `arn:aws:bedrock:ap-southeast-2:${ACCOUNT}:inference-profile/test-model`,
      ),
    });

    const answer = await chat(server.url, { message: 'hi' }, { user: 'alice' });

    expect(answer.events.slice(-2)).toEqual([
      { type: 'error', code: 'model_access_denied', message: expect.stringContaining('operator') },
      { type: 'done' },
    ]);
    expect(leaks(answer.text)).toBe(false);
    expect(logText()).toContain(ROLE);
  });

  it('tells neither the stream nor the model the ARN when AgentCore denies a GitHub tool its token', async () => {
    agentcore.failNext('GetWorkloadAccessTokenForUserId', {
      status: 403,
      type: 'AccessDeniedException',
      message: denied('bedrock-agentcore:GetWorkloadAccessTokenForUserId', WORKLOAD_ARN),
    });
    bedrock.enqueue(callTool('list_github_repos', {}), say('GitHub is not reachable for this deployment.'));

    const answer = await chat(server.url, { message: 'list my repos' }, { user: 'bob' });

    const toldModel = JSON.stringify(bedrock.requests.at(-1)?.body.messages.at(-1));
    expect(answer.events).toContainEqual({
      type: 'tool_result',
      tool_name: 'list_github_repos',
      ok: false,
      summary: 'failed',
    });
    expect(toldModel).toContain('misconfigured');
    expect(leaks(toldModel)).toBe(false);
    expect(leaks(answer.text)).toBe(false);
    expect(logText()).toContain(ROLE);
  });

  it('answers /oauth/complete 502 identity_misconfigured for an IAM denial, with the detail only in the log', async () => {
    const complete = await startedConsent('carol');
    agentcore.failNext('CompleteResourceTokenAuth', {
      status: 403,
      type: 'AccessDeniedException',
      message: denied('bedrock-agentcore:CompleteResourceTokenAuth', WORKLOAD_ARN),
    });

    const answer = await exchange(server.url, '/oauth/complete', complete, { user: 'carol' });

    expect(answer.status).toBe(502);
    expect(answer.json).toMatchObject({
      type: 'identity_misconfigured',
      error: expect.stringContaining('the operator must allow bedrock-agentcore:'),
    });
    expect(leaks(answer.text)).toBe(false);
    expect(logText()).toContain(WORKLOAD_ARN);
  });

  it("answers a Secrets Manager denial as identity_misconfigured naming the client secret's permission", async () => {
    const complete = await startedConsent('dave');
    agentcore.failNext('CompleteResourceTokenAuth', {
      status: 403,
      type: 'AccessDeniedException',
      message: denied('secretsmanager:GetSecretValue', SECRET_ARN),
    });

    const answer = await exchange(server.url, '/oauth/complete', complete, { user: 'dave' });

    expect(answer.status).toBe(502);
    expect(answer.json).toMatchObject({
      type: 'identity_misconfigured',
      error: expect.stringContaining('secretsmanager:GetSecretValue'),
    });
    expect(leaks(answer.text)).toBe(false);
    expect(logText()).toContain(SECRET_ARN);
  });

  it("answers AgentCore's invalid-session denial as 403 consent_forbidden", async () => {
    const complete = await startedConsent('erin');
    agentcore.failNext('CompleteResourceTokenAuth', {
      status: 403,
      type: 'AccessDeniedException',
      message: 'Invalid or expired session',
    });

    const answer = await exchange(server.url, '/oauth/complete', complete, { user: 'erin' });

    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ type: 'consent_forbidden' });
  });
});
