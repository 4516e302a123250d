import { join } from 'node:path';
import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/metrics/names';
import {
  oauth2CredentialProviderArn,
  oauth2CredentialProviderCollectionArn,
  tokenVaultArn,
  workloadIdentityArn,
  workloadIdentityDirectoryArn,
} from './agentcore-arns';
import {
  bundlingOptions,
  FUNCTION_ARCHITECTURE,
  FUNCTION_RUNTIME,
  PROJECT_ROOT,
  SOURCE_MAP_ENV,
} from './bundling';
import type { ModelAccess } from './model-access';
import { TABLE_ACTIONS } from './tables';

/** The Bedrock actions behind Converse (InvokeModel) and ConverseStream (InvokeModelWithResponseStream). */
export const MODEL_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] as const;

/** The AgentCore Identity data-plane calls of lambdas/identity/agentcore.ts. */
export const WORKLOAD_TOKEN_ACTIONS = ['bedrock-agentcore:GetWorkloadAccessTokenForUserId'] as const;
export const RESOURCE_TOKEN_ACTIONS = [
  'bedrock-agentcore:GetResourceOauth2Token',
  'bedrock-agentcore:CompleteResourceTokenAuth',
] as const;

export interface ChatFunctionProps {
  modelId: string;
  modelAccess: ModelAccess;
  sessionsTable: dynamodb.ITable;
  plansTable: dynamodb.ITable;
  /** The workload identity's name as configured (for IAM ARNs). */
  workloadIdentityName: string;
  /** The same name as a token from the workload identity resource, so the function depends on it. */
  workloadIdentityRef: string;
  /** The provider's name as configured (for IAM ARNs). */
  providerName: string;
  /** The same name from the custom resource, so the function depends on the provider existing. */
  providerRef: string;
  /** The operator's client-secret secret (full ARN pattern): AgentCore reads it as the caller for token exchanges. */
  clientSecretArn: string;
  oauthScopes: string[];
  returnUrls: string[];
  reviewPathPrefixes: string[];
  corsOrigins: string[];
  timeoutSeconds: number;
  memoryMb: number;
  logLevel: string;
  /** Concurrent executions reserved for (and capping) the function; undefined: none. */
  reservedConcurrency?: number;
  /** The `service` dimension of the function's metrics (one per stack). */
  metricsService: string;
  /** Turns one user may start per hour (USER_TURNS_PER_HOUR); 0: no bound. */
  userTurnsPerHour: number;
  /** Model tokens one user's turns may use per hour (USER_TOKENS_PER_HOUR); 0: no bound. */
  userTokensPerHour: number;
  /** REVIEW_SEVERITY_THRESHOLD. */
  reviewSeverityThreshold: string;
  /** SELF_CHECK on or off. */
  selfCheck: boolean;
  /** SELF_CHECK_MODEL_ID and its grant, when the self-check uses a model other than `modelId`. */
  selfCheckModel?: { modelId: string; access: ModelAccess };
}

/** The alias the function URL serves; CodeDeploy moves it from version to version. */
export const LIVE_ALIAS = 'live';

export interface ChatFunction {
  fn: nodejs.NodejsFunction;
  /** `live`: what callers reach. Each deploy publishes a version and CodeDeploy shifts this alias to it. */
  alias: lambda.Alias;
  /** On the alias, so it never changes across deploys. */
  url: lambda.FunctionUrl;
  /** A customer-managed policy operators attach to the people and roles allowed to chat. */
  invokePolicy: iam.ManagedPolicy;
}

/**
 * The streaming chat function (lambdas/chat/handler.ts) behind a function URL with `AWS_IAM` auth and
 * `RESPONSE_STREAM` invoke mode, with a role scoped to its model, its two tables, its workload identity and the
 * GitHub credential provider.
 */
export function addChatFunction(scope: Construct, props: ChatFunctionProps, id = 'Chat'): ChatFunction {
  const construct = new Construct(scope, id);

  const fn = new nodejs.NodejsFunction(construct, 'Function', {
    entry: join(PROJECT_ROOT, 'lambdas/chat/handler.ts'),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memorySize: props.memoryMb,
    timeout: Duration.seconds(props.timeoutSeconds),
    bundling: bundlingOptions({ copyPrompts: true }),
    // The variables of configSchema (lambdas/config.ts); Lambda itself provides AWS_REGION.
    environment: {
      MODEL_ID: props.modelId,
      SESSIONS_TABLE: props.sessionsTable.tableName,
      PLANS_TABLE: props.plansTable.tableName,
      WORKLOAD_IDENTITY_NAME: props.workloadIdentityRef,
      OAUTH_PROVIDER_NAME: props.providerRef,
      OAUTH_SCOPES: props.oauthScopes.join(','),
      OAUTH_RETURN_URLS: props.returnUrls.join(','),
      REVIEW_PATH_PREFIXES: props.reviewPathPrefixes.join(','),
      IDENTITY_PROVIDER: 'agentcore',
      LOG_LEVEL: props.logLevel,
      METRICS: 'emf',
      METRICS_NAMESPACE: DEFAULT_METRICS_NAMESPACE,
      METRICS_SERVICE: props.metricsService,
      USER_TURNS_PER_HOUR: String(props.userTurnsPerHour),
      USER_TOKENS_PER_HOUR: String(props.userTokensPerHour),
      REVIEW_SEVERITY_THRESHOLD: props.reviewSeverityThreshold,
      SELF_CHECK: props.selfCheck ? 'on' : 'off',
      ...(props.selfCheckModel ? { SELF_CHECK_MODEL_ID: props.selfCheckModel.modelId } : {}),
      ...SOURCE_MAP_ENV,
    },
    reservedConcurrentExecutions: props.reservedConcurrency,
    logGroup: new logs.LogGroup(construct, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
    description: 'GitHub coding agent: streaming chat (SSE) over a function URL',
  });

  grantModel(fn, props.modelAccess);
  if (props.selfCheckModel) grantModel(fn, props.selfCheckModel.access, 'SelfCheck');
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'SessionAndPlanTables',
      actions: [...TABLE_ACTIONS],
      resources: [props.sessionsTable.tableArn, props.plansTable.tableArn],
    }),
  );
  grantGitHubTokens(fn, {
    workloadIdentityName: props.workloadIdentityName,
    providerName: props.providerName,
    clientSecretArn: props.clientSecretArn,
    vaultActions: RESOURCE_TOKEN_ACTIONS,
  });

  // Versions are kept (the default), so a hand rollback can point the alias at any earlier one (docs/operations.md).
  const alias = new lambda.Alias(construct, 'LiveAlias', {
    aliasName: LIVE_ALIAS,
    version: fn.currentVersion,
  });
  const url = alias.addFunctionUrl({
    authType: lambda.FunctionUrlAuthType.AWS_IAM,
    invokeMode: lambda.InvokeMode.RESPONSE_STREAM,
    cors:
      props.corsOrigins.length > 0
        ? {
            allowedOrigins: props.corsOrigins,
            allowedMethods: [lambda.HttpMethod.GET, lambda.HttpMethod.POST],
            // SigV4 headers: a browser client signs its requests like the terminal client does.
            allowedHeaders: [
              'content-type',
              'authorization',
              'x-amz-date',
              'x-amz-security-token',
              'x-amz-content-sha256',
            ],
            maxAge: Duration.minutes(10),
          }
        : undefined,
  });

  const invokePolicy = new iam.ManagedPolicy(construct, 'InvokePolicy', {
    description: 'Attach to the IAM users or roles allowed to use the GitHub coding agent chat URL',
    // The URL belongs to the alias: IAM authorizes its calls against the alias ARN (`function:<name>:live`).
    statements: chatUrlInvokeStatements(alias.functionArn),
  });

  return { fn, alias, url, invokePolicy };
}

/**
 * What a caller of the chat URL needs, and no more: what aws-cdk-lib's `grantInvokeUrl` emits. Since October 2025 a
 * new function URL needs both actions, but `lambda:InvokeFunction` is only valid through the URL
 * (`lambda:InvokedViaFunctionUrl`). Without that condition a holder could call Invoke directly with a hand-written
 * event naming another user in `requestContext.authorizer.iam` and act with that user's GitHub token.
 * @param aliasArn the qualified ARN of the alias the URL is on (`...:function:<name>:live`): IAM authorizes a function
 *   URL's calls against the ARN of what it serves, and an unqualified function ARN does not match an alias
 */
export function chatUrlInvokeStatements(aliasArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'InvokeChatFunctionUrl',
      actions: ['lambda:InvokeFunctionUrl'],
      resources: [aliasArn],
      conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': lambda.FunctionUrlAuthType.AWS_IAM } },
    }),
    new iam.PolicyStatement({
      sid: 'InvokeChatFunctionOnlyThroughUrl',
      actions: ['lambda:InvokeFunction'],
      resources: [aliasArn],
      conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
    }),
  ];
}

/**
 * Read access to the operator's client secret for AgentCore only. With `clientSecretSource: EXTERNAL` AgentCore
 * reads the secret when it exchanges or refreshes a token, as the caller of GetResourceOauth2Token, through a
 * forward access session: such requests carry `aws:CalledVia = bedrock-agentcore.amazonaws.com`. The function's own
 * code calling Secrets Manager carries no `aws:CalledVia`, so this grant does not let it read the secret.
 */
/**
 * A function's per-user GitHub tokens through AgentCore Identity: a workload access token for the user, `vaultActions`
 * on the token vault and this provider, and the client secret only as AgentCore reads it.
 */
export function grantGitHubTokens(
  fn: lambda.IFunction,
  props: {
    workloadIdentityName: string;
    providerName: string;
    clientSecretArn: string;
    vaultActions: readonly string[];
  },
): void {
  const stack = Stack.of(fn);
  const identityArn = workloadIdentityArn(stack, props.workloadIdentityName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'WorkloadAccessToken',
      actions: [...WORKLOAD_TOKEN_ACTIONS],
      resources: [workloadIdentityDirectoryArn(stack), identityArn],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'GitHubTokenFromVault',
      actions: [...props.vaultActions],
      resources: [
        workloadIdentityDirectoryArn(stack),
        identityArn,
        tokenVaultArn(stack),
        oauth2CredentialProviderCollectionArn(stack),
        oauth2CredentialProviderArn(stack, props.providerName),
      ],
    }),
  );
  fn.addToRolePolicy(clientSecretReadViaAgentCore(props.clientSecretArn));
}

export function clientSecretReadViaAgentCore(secretArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ClientSecretReadByAgentCoreOnly',
    actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
    resources: [secretArn],
    conditions: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['bedrock-agentcore.amazonaws.com'] } },
  });
}

/** Invoke rights on the configured model only: the profile itself, and its foundation models only through it. */
export function grantModel(fn: lambda.IFunction, access: ModelAccess, sidPrefix = ''): void {
  if (access.inferenceProfileArn) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: `${sidPrefix}InvokeInferenceProfile`,
        actions: [...MODEL_ACTIONS],
        resources: [access.inferenceProfileArn],
      }),
    );
  }
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: `${sidPrefix}InvokeFoundationModel`,
      actions: [...MODEL_ACTIONS],
      resources: access.foundationModelArns,
      conditions: access.inferenceProfileArn
        ? { StringEquals: { 'bedrock:InferenceProfileArn': access.inferenceProfileArn } }
        : undefined,
    }),
  );
}
