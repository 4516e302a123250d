import { BedrockAgentCoreControlClient } from '@aws-sdk/client-bedrock-agentcore-control';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Attempts per call (1 + 4 retries). The SDK's standard retry mode backs off exponentially with jitter and treats
 * ThrottlingException and 5xx as retryable; with the request timeout below, the worst case stays well inside the
 * handler's 2-minute timeout, so CloudFormation always gets an answer.
 */
export const MAX_ATTEMPTS = 5;
const REQUEST_TIMEOUT_MS = 15_000;
const CONNECTION_TIMEOUT_MS = 5_000;

export interface ClientOptions {
  region?: string;
  maxAttempts?: number;
  /** Endpoints of local stand-ins in tests (the SDK's AWS_ENDPOINT_URL_* variables work too). */
  endpoints?: { agentCoreControl?: string; secretsManager?: string };
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The custom resource's AWS clients, built once per cold start. */
export interface ProviderClients {
  agentCoreControl: BedrockAgentCoreControlClient;
  secretsManager: SecretsManagerClient;
}

/** Builds both clients with the same retry and timeout policy. */
export function createProviderClients(options: ClientOptions = {}): ProviderClients {
  const common = {
    region: options.region,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? MAX_ATTEMPTS,
    retryMode: 'standard',
    // Without throwOnRequestTimeout the handler only logs a warning at the request timeout and keeps waiting.
    requestHandler: {
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  } as const;
  return {
    agentCoreControl: new BedrockAgentCoreControlClient({
      ...common,
      endpoint: options.endpoints?.agentCoreControl,
    }),
    secretsManager: new SecretsManagerClient({ ...common, endpoint: options.endpoints?.secretsManager }),
  };
}
