import type { RequestSigner } from '../client/sign';

/** Who the AWS credentials belong to (STS GetCallerIdentity). */
export interface CallerIdentity {
  account: string;
  arn: string;
}

/** A CloudFormation stack as doctor needs it. */
export interface StackDescription {
  status: string;
  statusReason?: string;
  outputs: Record<string, string>;
}

/** An AgentCore Identity OAuth2 credential provider (GetOauth2CredentialProvider). */
export interface ProviderDescription {
  name: string;
  status?: string;
  failureReason?: string;
  callbackUrl?: string;
  vendor?: string;
  clientId?: string;
}

/** An AgentCore workload identity (GetWorkloadIdentity). */
export interface WorkloadIdentityDescription {
  name: string;
  returnUrls: string[];
}

/** A Secrets Manager secret's value: its text, or only a binary value. Never printed. */
export interface SecretValue {
  text?: string;
  binary: boolean;
}

/**
 * Everything doctor does to the outside world. Each method makes one call with its own timeout and throws the
 * service's error (an SDK exception, {@link AwsQueryError}, or a fetch TimeoutError); the checks interpret them.
 */
export interface DoctorPorts {
  callerIdentity(): Promise<CallerIdentity>;
  /** undefined when the stack does not exist. */
  describeStack(name: string): Promise<StackDescription | undefined>;
  /** The default version's policy document of a managed policy, as JSON text. */
  policyDocument(policyArn: string): Promise<string>;
  /** One Converse call with `maxTokens: 1`; resolves when the model answered. */
  probeModel(modelId: string): Promise<void>;
  secretValue(secretId: string): Promise<SecretValue>;
  /** undefined when there is no provider of that name. */
  oauthProvider(name: string): Promise<ProviderDescription | undefined>;
  /** undefined when there is no workload identity of that name. */
  workloadIdentity(name: string): Promise<WorkloadIdentityDescription | undefined>;
  readFile(path: string): Promise<string>;
  /** For the function URL (health and chat); each check passes its own timeout signal. */
  fetch: typeof fetch;
  /** A SigV4 signer for a function URL in `region` (service `lambda`). */
  functionUrlSigner(region: string): RequestSigner;
  /** Closes the clients' connections (a run's last step, so nothing keeps the process alive). */
  close(): void;
}
