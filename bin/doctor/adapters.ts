import { readFile } from 'node:fs/promises';
import {
  BedrockAgentCoreControlClient,
  GetOauth2CredentialProviderCommand,
  GetWorkloadIdentityCommand,
} from '@aws-sdk/client-bedrock-agentcore-control';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSigV4Signer, type SigningCredentials } from '../client/sign';
import { type QueryService, queryCall, queryEndpoint, xmlElements, xmlText } from './aws-query';
import type { DoctorPorts } from './ports';
import { errorName } from './result';

/** How long one AWS call may take (connect, send, answer) before doctor reports it as unreachable. */
export const AWS_CALL_TIMEOUT_MS = 15_000;

/** What the real adapters need. */
export interface AdapterOptions {
  region: string;
  credentials: SigningCredentials;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * The real {@link DoctorPorts}: SDK clients for Bedrock Runtime, Secrets Manager and the AgentCore control plane
 * (their `AWS_ENDPOINT_URL_*` variables point them at stand-ins), signed Query calls for STS, CloudFormation and IAM.
 * One attempt plus one retry per call, each bounded by `timeoutMs`.
 */
export function createDoctorPorts(options: AdapterOptions): DoctorPorts {
  const timeoutMs = options.timeoutMs ?? AWS_CALL_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  const sdk = {
    region: options.region,
    credentials: options.credentials,
    maxAttempts: 2,
    requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 5_000) },
  };
  // The SDK reads these variables itself; passing them from `env` keeps an injected environment authoritative.
  const endpoint = (name: string) =>
    options.env[`AWS_ENDPOINT_URL_${name}`] || options.env.AWS_ENDPOINT_URL || undefined;
  const bedrock = new BedrockRuntimeClient({ ...sdk, endpoint: endpoint('BEDROCK_RUNTIME') });
  const secrets = new SecretsManagerClient({ ...sdk, endpoint: endpoint('SECRETS_MANAGER') });
  const control = new BedrockAgentCoreControlClient({
    ...sdk,
    endpoint: endpoint('BEDROCK_AGENTCORE_CONTROL'),
  });
  const bounded = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });

  const query = (service: QueryService, action: string, params: Record<string, string> = {}) => {
    const endpoint = queryEndpoint(service, options.region, options.env);
    return queryCall({
      service,
      endpoint,
      action,
      params,
      signer: createSigV4Signer({
        region: endpoint.signingRegion,
        credentials: options.credentials,
        service,
      }),
      fetch: doFetch,
      timeoutMs,
    });
  };

  return {
    async callerIdentity() {
      const xml = await query('sts', 'GetCallerIdentity');
      return { account: xmlText(xml, 'Account') ?? '', arn: xmlText(xml, 'Arn') ?? '' };
    },

    async describeStack(name) {
      let xml: string;
      try {
        xml = await query('cloudformation', 'DescribeStacks', { StackName: name });
      } catch (error) {
        // CloudFormation says "Stack with id X does not exist" as a ValidationError.
        if (errorName(error) === 'ValidationError' && /does not exist/.test(String(error))) return undefined;
        throw error;
      }
      // One stack at most (filtered by name); its own fields have names no nested element shares.
      const stack = xmlText(xml, 'Stacks') ?? '';
      const status = xmlText(stack, 'StackStatus');
      if (status === undefined) return undefined;
      const outputs: Record<string, string> = {};
      const outputsXml = xmlText(stack, 'Outputs') ?? '';
      for (const member of xmlElements(outputsXml, 'member')) {
        const key = xmlText(member, 'OutputKey');
        if (key) outputs[key] = xmlText(member, 'OutputValue') ?? '';
      }
      return {
        status,
        statusReason: xmlText(stack, 'StackStatusReason'),
        outputs,
      };
    },

    async policyDocument(policyArn) {
      const policy = await query('iam', 'GetPolicy', { PolicyArn: policyArn });
      const versionId = xmlText(policy, 'DefaultVersionId') ?? 'v1';
      const version = await query('iam', 'GetPolicyVersion', { PolicyArn: policyArn, VersionId: versionId });
      // IAM returns the document URL-encoded (RFC 3986) inside the XML.
      return decodeURIComponent(xmlText(version, 'Document') ?? '');
    },

    async probeModel(modelId) {
      await bedrock.send(
        new ConverseCommand({
          modelId,
          messages: [{ role: 'user', content: [{ text: 'ping' }] }],
          inferenceConfig: { maxTokens: 1 },
        }),
        bounded(),
      );
    },

    async secretValue(secretId) {
      const value = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }), bounded());
      return { text: value.SecretString, binary: value.SecretBinary !== undefined };
    },

    async oauthProvider(name) {
      try {
        const found = await control.send(new GetOauth2CredentialProviderCommand({ name }), bounded());
        return {
          name,
          status: found.status,
          failureReason: found.failureReason,
          callbackUrl: found.callbackUrl,
          vendor: found.credentialProviderVendor,
          clientId: found.oauth2ProviderConfigOutput?.githubOauth2ProviderConfig?.clientId,
        };
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },

    async workloadIdentity(name) {
      try {
        const found = await control.send(new GetWorkloadIdentityCommand({ name }), bounded());
        return { name, returnUrls: found.allowedResourceOauth2ReturnUrls ?? [] };
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },

    readFile: (path) => readFile(path, 'utf8'),
    fetch: doFetch,
    functionUrlSigner: (region) => createSigV4Signer({ region, credentials: options.credentials }),
    close: () => {
      for (const client of [bedrock, secrets, control]) client.destroy();
    },
  };
}
