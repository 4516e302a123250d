import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProviderClients, type ProviderClients } from '../../lambdas/oauth-provider/clients';
import { createOnEventHandler } from '../../lambdas/oauth-provider/handler';

/**
 * The AgentCore control plane's REST-JSON over a local HTTP server, so the real client's retry strategy runs: a
 * throttled call answers 429 with `x-amzn-errortype: ThrottlingException`, as the service does.
 * (Secrets Manager is not under test here and stays mocked.)
 */
interface ControlPlaneStandin {
  url: string;
  /** Operations in arrival order, e.g. `CreateOauth2CredentialProvider`. */
  calls: string[];
  /** How many of the next Create calls to throttle. */
  throttleCreates: number;
  close(): Promise<void>;
}

const PROVIDER_ARN =
  'arn:aws:bedrock-agentcore:ap-southeast-2:123456789012:token-vault/default/oauth2credentialprovider/github-provider';
const CALLBACK_URL =
  'https://bedrock-agentcore.ap-southeast-2.amazonaws.com/identities/oauth2/callback/abc-123';

async function startControlPlane(): Promise<ControlPlaneStandin> {
  const calls: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const operation = (req.url ?? '').replace(/^\/identities\//, '');
      calls.push(operation);
      const send = (status: number, body: unknown, errorType?: string) => {
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(body));
      };
      if (operation === 'CreateOauth2CredentialProvider' && standin.throttleCreates > 0) {
        standin.throttleCreates -= 1;
        send(429, { message: 'Rate exceeded' }, 'ThrottlingException');
        return;
      }
      if (operation === 'CreateOauth2CredentialProvider') {
        send(201, {
          name: 'github-provider',
          credentialProviderArn: PROVIDER_ARN,
          callbackUrl: CALLBACK_URL,
          status: 'CREATING',
        });
        return;
      }
      if (operation === 'GetOauth2CredentialProvider') {
        send(200, {
          name: 'github-provider',
          credentialProviderArn: PROVIDER_ARN,
          callbackUrl: CALLBACK_URL,
          credentialProviderVendor: 'GithubOauth2',
          status: 'READY',
        });
        return;
      }
      send(404, { message: `no stand-in for ${operation}` }, 'ResourceNotFoundException');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const standin: ControlPlaneStandin = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    throttleCreates: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return standin;
}

const createEvent: CloudFormationCustomResourceCreateEvent = {
  RequestType: 'Create',
  ServiceToken: 'arn:aws:lambda:ap-southeast-2:123456789012:function:framework-onEvent',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: 'arn:aws:cloudformation:ap-southeast-2:123456789012:stack/GitHubCodingAgent/1',
  RequestId: 'b1a7c0de-0000-4000-8000-000000000002',
  LogicalResourceId: 'GitHubOAuthProviderResource',
  ResourceType: 'Custom::GitHubOAuth2CredentialProvider',
  ResourceProperties: {
    ServiceToken: 'arn:aws:lambda:ap-southeast-2:123456789012:function:framework-onEvent',
    ProviderName: 'github-provider',
    ClientId: 'Ov23liTestClientId01',
    SecretId: 'github-coding-agent/oauth',
    SecretJsonKey: 'clientSecret',
    RetainOnDelete: 'false',
  },
};

const secrets = mockClient(SecretsManagerClient);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
let standin: ControlPlaneStandin;
let clients: ProviderClients | undefined;

const handlerWith = (maxAttempts?: number) => {
  clients = createProviderClients({
    region: 'ap-southeast-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoints: { agentCoreControl: standin.url },
    maxAttempts,
  });
  return createOnEventHandler(clients, quiet);
};

beforeAll(async () => {
  standin = await startControlPlane();
});

beforeEach(() => {
  standin.calls.length = 0;
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({
    ARN: 'arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:github-coding-agent/oauth-AbCdEf',
    SecretString: JSON.stringify({ clientSecret: 'value-not-under-test' }),
  });
});

afterEach(() => {
  clients?.agentCoreControl.destroy();
});

afterAll(async () => {
  secrets.restore();
  await standin.close();
});

describe('throttled AgentCore calls', () => {
  it('are retried by the client until AgentCore answers', async () => {
    standin.throttleCreates = 1;

    const result = await handlerWith()(createEvent);

    expect(result).toMatchObject({
      PhysicalResourceId: 'github-provider',
      Data: { ProviderArn: PROVIDER_ARN },
    });
    expect(standin.calls).toEqual([
      'CreateOauth2CredentialProvider',
      'CreateOauth2CredentialProvider',
      'GetOauth2CredentialProvider',
    ]);
  });

  it('fail with a readable reason once the attempts run out', async () => {
    standin.throttleCreates = 5;

    const error = await handlerWith(2)(createEvent).catch((thrown: unknown) => thrown);

    expect((error as Error).stack).toBe(
      'ProviderFailure: CreateOauth2CredentialProvider for credential provider "github-provider" failed ' +
        '(ThrottlingException: Rate exceeded); AgentCore kept throttling after the retries, deploy again in a minute',
    );
    expect(standin.calls).toEqual(['CreateOauth2CredentialProvider', 'CreateOauth2CredentialProvider']);
  });
});
