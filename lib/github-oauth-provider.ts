import { join } from 'node:path';
import {
  ArnFormat,
  CustomResource,
  custom_resources as cr,
  Duration,
  aws_iam as iam,
  type aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  oauth2CredentialProviderArn,
  oauth2CredentialProviderCollectionArn,
  tokenVaultArn,
} from './agentcore-arns';
import {
  bundlingOptions,
  FUNCTION_ARCHITECTURE,
  FUNCTION_RUNTIME,
  PROJECT_ROOT,
  SOURCE_MAP_ENV,
} from './bundling';

/** Every OAuth2 credential provider in the default token vault (the handler's read/delete grant). */
export const anyCredentialProviderArn = (stack: Stack) => oauth2CredentialProviderArn(stack, '*');

/** The custom resource's type in the template. */
export const OAUTH_PROVIDER_RESOURCE_TYPE = 'Custom::GitHubOAuth2CredentialProvider';

export interface GitHubOAuthProviderProps {
  /** The credential provider's name in AgentCore Identity (the runtime's OAUTH_PROVIDER_NAME). */
  providerName: string;
  /** The GitHub OAuth App's client id (may be a CloudFormation parameter). */
  clientId: string;
  /** The operator's Secrets Manager secret holding the client secret as JSON. */
  secretName: string;
  /** The JSON key inside that secret. */
  secretJsonKey: string;
  /** Leave the provider in AgentCore when the stack (or this resource) is deleted. */
  retainOnDelete: boolean;
  /** Take over a provider of that name that already exists; without it, an existing name fails the deploy. */
  adoptExisting: boolean;
  /** Delete an adopted provider with the stack too (by default it is kept: deleting it deletes users' tokens). */
  deleteAdoptedOnDelete: boolean;
}

/** What the stack wires to other resources and outputs. */
export interface GitHubOAuthProvider {
  /** The custom resource; its physical id is `<name>`, or `adopted:<name>` for an adopted provider. */
  resource: CustomResource;
  /** The `ProviderName` attribute, so readers depend on the provider existing. */
  providerName: string;
  /** `ProviderArn` attribute. */
  providerArn: string;
  /** `CallbackUrl` attribute: the URL to register as the GitHub OAuth App's authorization callback URL. */
  callbackUrl: string;
  /** The operator's secret (imported by name, never read by CloudFormation). */
  secret: secretsmanager.ISecret;
  /** The IAM resource pattern of that secret (`<name>-??????`: Secrets Manager appends a random suffix). */
  secretArnPattern: string;
  /** The onEvent handler (lambdas/oauth-provider/handler.ts). */
  handler: nodejs.NodejsFunction;
  /** The Provider framework that fronts the handler. */
  provider: cr.Provider;
  /** The framework's own onEvent function (the one CloudFormation invokes). */
  frameworkFunction: lambda.IFunction;
}

/**
 * Creates (or adopts) the AgentCore Identity GitHub OAuth2 credential provider through a custom resource.
 * The client secret stays in the operator's secret: the provider references it (`clientSecretSource: EXTERNAL`),
 * so its value appears in neither the template nor the API request.
 */
export function addGitHubOAuthProvider(
  scope: Construct,
  props: GitHubOAuthProviderProps,
  id = 'GitHubOAuthProvider',
): GitHubOAuthProvider {
  const construct = new Construct(scope, id);
  const stack = Stack.of(construct);

  // By name, not ARN: Secrets Manager appends a random suffix, and grants then match `<name>-??????`.
  const secret = secretsmanager.Secret.fromSecretNameV2(construct, 'ClientSecret', props.secretName);

  const handler = new nodejs.NodejsFunction(construct, 'Handler', {
    entry: join(PROJECT_ROOT, 'lambdas/oauth-provider/handler.ts'),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memorySize: 256,
    // Room for waiting until AgentCore finishes a change (at most 8 minutes, lambdas/oauth-provider/handler.ts) plus
    // the bounded SDK calls around it, so CloudFormation gets an answer, never a timeout. The Provider framework's
    // own function waits up to 15 minutes for this one; an isComplete waiter would add a Step Functions state
    // machine for changes that take seconds.
    timeout: Duration.minutes(10),
    bundling: bundlingOptions({ copyPrompts: false }),
    environment: { ...SOURCE_MAP_ENV },
    logGroup: new logs.LogGroup(construct, 'HandlerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    description: 'Creates, adopts, updates and deletes the AgentCore GitHub OAuth2 credential provider',
  });

  const vault = [tokenVaultArn(stack), oauth2CredentialProviderCollectionArn(stack)];
  handler.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'CreateAndUpdateGitHubCredentialProvider',
      actions: [
        'bedrock-agentcore:CreateOauth2CredentialProvider',
        'bedrock-agentcore:UpdateOauth2CredentialProvider',
      ],
      resources: [...vault, oauth2CredentialProviderArn(stack, props.providerName)],
    }),
  );
  // Reading and deleting cover every provider name, not just the current one: after a rename CloudFormation deletes
  // the old name with the new template's policy, and a name-scoped grant would leave the old provider orphaned. It
  // also lets this role read or delete other providers in the vault; the handler only deletes the physical ids
  // CloudFormation sends it (never an adopted one unless told), and only the Provider framework invokes it.
  handler.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadAndDeleteCredentialProviders',
      actions: [
        'bedrock-agentcore:GetOauth2CredentialProvider',
        'bedrock-agentcore:DeleteOauth2CredentialProvider',
      ],
      resources: [...vault, anyCredentialProviderArn(stack)],
    }),
  );
  // The first provider in an account creates the default token vault on the caller's behalf.
  handler.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'UseDefaultTokenVault',
      actions: ['bedrock-agentcore:CreateTokenVault', 'bedrock-agentcore:GetTokenVault'],
      resources: [tokenVaultArn(stack)],
    }),
  );
  // The handler checks the secret has the JSON key; AgentCore reads the referenced secret as the caller.
  secret.grantRead(handler);

  const provider = new cr.Provider(construct, 'Provider', {
    onEventHandler: handler,
    logGroup: new logs.LogGroup(construct, 'ProviderLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });

  const resource = new CustomResource(construct, 'Resource', {
    serviceToken: provider.serviceToken,
    resourceType: OAUTH_PROVIDER_RESOURCE_TYPE,
    properties: {
      ProviderName: props.providerName,
      ClientId: props.clientId,
      SecretId: props.secretName,
      SecretJsonKey: props.secretJsonKey,
      RetainOnDelete: String(props.retainOnDelete),
      AdoptExisting: String(props.adoptExisting),
      DeleteAdoptedOnDelete: String(props.deleteAdoptedOnDelete),
    },
  });

  return {
    resource,
    secretArnPattern: stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${props.secretName}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    providerName: resource.getAttString('ProviderName'),
    providerArn: resource.getAttString('ProviderArn'),
    callbackUrl: resource.getAttString('CallbackUrl'),
    secret,
    handler,
    provider,
    // The framework names its function 'framework-onEvent'; it is not exposed otherwise.
    frameworkFunction: provider.node.findChild('framework-onEvent') as lambda.IFunction,
  };
}
