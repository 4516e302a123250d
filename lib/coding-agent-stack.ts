import {
  Annotations,
  aws_bedrockagentcore as agentcore,
  CfnOutput,
  CfnParameter,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { addAlarms, type ChatAlarms } from './alarms';
import { type AutoReview, addAutoReview, grantChatSubscriptions } from './auto-review';
import { hasPrompts } from './bundling';
import { addCanaryDeployment } from './canary-deployment';
import { addChatFunction, type ChatFunction } from './chat-function';
import { chatMetrics } from './chat-metrics';
import type { StackContext } from './context';
import { addDashboard } from './dashboard';
import {
  addGitHubOAuthProvider,
  anyCredentialProviderArn,
  type GitHubOAuthProvider,
} from './github-oauth-provider';
import { modelAccess } from './model-access';
import { acknowledgeNagFindings } from './nag-suppressions';
import { type AgentTables, addTables } from './tables';

export interface CodingAgentStackProps extends StackProps {
  /** Validated context (lib/context.ts). */
  settings: StackContext;
}

/**
 * The GitHub coding agent: the streaming chat function behind an IAM-authenticated function URL, its sessions and
 * review-plans tables, the AgentCore workload identity, and the GitHub OAuth2 credential provider.
 */
export class CodingAgentStack extends Stack {
  readonly tables: AgentTables;
  readonly oauthProvider: GitHubOAuthProvider;
  readonly chat: ChatFunction;
  readonly workloadIdentity: agentcore.CfnWorkloadIdentity;
  readonly alarms: ChatAlarms;
  /** Absent with `-c autoReview=false`. */
  readonly autoReview?: AutoReview;

  constructor(scope: Construct, id: string, props: CodingAgentStackProps) {
    super(scope, id, props);
    const { settings } = props;

    // Without `-c githubClientId`, CloudFormation asks for the value at deploy time (cdk deploy refuses to start
    // without it), so synth stays offline and nothing is created with a placeholder id.
    const clientIdParameter = new CfnParameter(this, 'GitHubClientId', {
      type: 'String',
      description: 'Client ID of the GitHub OAuth App (github.com/settings/developers)',
      allowedPattern: '^[A-Za-z0-9._-]{8,64}$',
      constraintDescription: "must be the GitHub OAuth App's client ID, e.g. Ov23li...",
      default: settings.githubClientId,
    });

    this.tables = addTables(this);

    this.workloadIdentity = new agentcore.CfnWorkloadIdentity(this, 'WorkloadIdentity', {
      name: settings.workloadIdentityName,
      allowedResourceOauth2ReturnUrls: settings.returnUrls,
    });

    this.oauthProvider = addGitHubOAuthProvider(this, {
      providerName: settings.providerName,
      clientId: clientIdParameter.valueAsString,
      secretName: settings.githubSecretName,
      secretJsonKey: settings.githubSecretJsonKey,
      retainOnDelete: settings.retainProviderOnDelete,
      adoptExisting: settings.adoptExistingProvider,
      deleteAdoptedOnDelete: settings.deleteAdoptedProvider,
    });

    // What invoking a model (or inference profile) needs: the chat function, the self-check and the worker use it.
    const accessTo = (modelId: string) =>
      modelAccess({
        modelId,
        region: this.region,
        account: this.account,
        partition: this.partition,
        destinationRegions: settings.modelDestinationRegions,
      });
    // The self-check's own model, when it is not the review model: granted to whoever reviews (chat and worker).
    const selfCheckModel =
      settings.selfCheckModelId === undefined || settings.selfCheckModelId === settings.modelId
        ? undefined
        : {
            modelId: settings.selfCheckModelId,
            access: accessTo(settings.selfCheckModelId),
          };
    // What both the chat function and the auto-review worker review with: the model, the plans, the user's identity.
    const reviewer = {
      modelId: settings.modelId,
      modelAccess: accessTo(settings.modelId),
      plansTable: this.tables.plans,
      workloadIdentityName: settings.workloadIdentityName,
      workloadIdentityRef: this.workloadIdentity.ref,
      providerName: settings.providerName,
      providerRef: this.oauthProvider.providerName,
      clientSecretArn: this.oauthProvider.secretArnPattern,
      oauthScopes: settings.oauthScopes,
      returnUrls: settings.returnUrls,
      reviewPathPrefixes: settings.reviewPathPrefixes,
    };
    this.chat = addChatFunction(this, {
      ...reviewer,
      sessionsTable: this.tables.sessions,
      corsOrigins: settings.corsOrigins,
      timeoutSeconds: settings.chatTimeoutSeconds,
      memoryMb: settings.chatMemoryMb,
      logLevel: settings.logLevel,
      reservedConcurrency: settings.chatReservedConcurrency,
      metricsService: this.stackName,
      userTurnsPerHour: settings.userTurnsPerHour,
      userTokensPerHour: settings.userTokensPerHour,
      reviewSeverityThreshold: settings.reviewSeverityThreshold,
      selfCheck: settings.selfCheck,
      selfCheckModel,
    });

    if (!hasPrompts()) {
      Annotations.of(this.chat.fn).addWarningV2(
        'github-coding-agent:missingPrompts',
        'prompts/ does not exist: the chat function will be deployed without its prompt files',
      );
    }

    // Operations (docs/operations.md): alarms on the targets, the canary deploy they roll back, and a dashboard.
    const metrics = chatMetrics(this.stackName);
    const tables = [this.tables.sessions, this.tables.plans];
    this.alarms = addAlarms(this, settings, { metrics, fn: this.chat.fn, alias: this.chat.alias, tables });
    if (settings.autoReview) {
      this.autoReview = addAutoReview(this, {
        ...reviewer,
        reviewSeverityThreshold: settings.reviewSeverityThreshold,
        selfCheck: settings.selfCheck,
        selfCheckModel,
        logLevel: settings.logLevel,
        metricsService: this.stackName,
        alarmTopic: this.alarms.topic,
      });
      // The subscribe commands create hooks with this URL and secret, and keep subscriptions in this table.
      this.chat.fn.addEnvironment('AUTO_REVIEW_TABLE', this.autoReview.table.tableName);
      this.chat.fn.addEnvironment('WEBHOOK_SECRET_ARN', this.autoReview.secret.secretArn);
      this.chat.fn.addEnvironment('WEBHOOK_URL', this.autoReview.receiverUrl.url);
      grantChatSubscriptions(this.chat.fn, this.autoReview);
      new CfnOutput(this, 'WebhookUrl', {
        value: this.autoReview.receiverUrl.url,
        description:
          'The GitHub webhook endpoint (auto-review); "auto-review owner/repo" in chat registers it',
      });
      new CfnOutput(this, 'AutoReviewTableName', {
        value: this.autoReview.table.tableName,
        description: 'DynamoDB table of auto-review subscriptions and webhook deliveries seen',
      });
      new CfnOutput(this, 'AutoReviewDeadLetterQueueUrl', {
        value: this.autoReview.deadLetterQueue.queueUrl,
        description:
          'Auto-review jobs that failed every attempt (alarmed); docs/operations.md says how to redrive',
      });
    }
    const deployment = addCanaryDeployment(this, {
      alias: this.chat.alias,
      strategy: settings.deploymentStrategy,
      rollbackAlarms: this.alarms.rollback,
    });
    const dashboardName = `${this.stackName}-${this.region}`;
    addDashboard(this, {
      name: dashboardName,
      metrics,
      fn: this.chat.fn,
      tables,
      alarms: this.autoReview ? [...this.alarms.all, this.autoReview.deadLetterAlarm] : this.alarms.all,
      thresholds: {
        firstTokenMs: settings.firstTokenAlarmMs,
        errorRatePercent: settings.errorRateAlarmPercent,
        oauthSuccessPercent: settings.oauthSuccessAlarmPercent,
        dailyCostUsd: settings.dailyCostBudgetUsd,
      },
      reservedConcurrency: settings.chatReservedConcurrency,
    });

    new CfnOutput(this, 'ChatUrl', {
      value: this.chat.url.url,
      description: 'The chat endpoint (POST /chat/stream, SigV4-signed): npm run chat -- --url <ChatUrl>',
    });
    new CfnOutput(this, 'GitHubCallbackUrl', {
      value: this.oauthProvider.callbackUrl,
      description:
        "Register this URL as the GitHub OAuth App's Authorization callback URL: the GitHub sign-in fails until you do",
    });
    new CfnOutput(this, 'OAuthProviderArn', {
      value: this.oauthProvider.providerArn,
      description: 'The AgentCore Identity GitHub OAuth2 credential provider',
    });
    new CfnOutput(this, 'WorkloadIdentityName', {
      value: this.workloadIdentity.ref,
      description:
        "The agent's AgentCore workload identity (its allowed return URLs are the client's callback URLs)",
    });
    new CfnOutput(this, 'SessionsTableName', {
      value: this.tables.sessions.tableName,
      description: 'DynamoDB table of chat messages',
    });
    new CfnOutput(this, 'PlansTableName', {
      value: this.tables.plans.tableName,
      description: 'DynamoDB table of pending PR review plans',
    });
    new CfnOutput(this, 'ChatInvokePolicyArn', {
      value: this.chat.invokePolicy.managedPolicyArn,
      description: 'Attach this managed policy to the IAM users or roles allowed to chat',
    });

    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${dashboardName}`,
      description:
        'The operations dashboard: first token, error rate, OAuth success, reviews, tokens, cost, throttles',
    });

    acknowledgeNagFindings({
      functions: [
        this.chat.fn,
        this.oauthProvider.handler,
        ...(this.autoReview ? [this.autoReview.receiver, this.autoReview.worker] : []),
      ],
      ...(this.autoReview ? { webhookSecret: this.autoReview.secret } : {}),
      providerFramework: this.oauthProvider.frameworkFunction,
      customResourceHandler: this.oauthProvider.handler,
      anyCredentialProviderArn: anyCredentialProviderArn(this),
      deploymentRole: deployment.role,
      ...(this.alarms.topic ? { alarmTopic: this.alarms.topic } : {}),
    });
  }
}
