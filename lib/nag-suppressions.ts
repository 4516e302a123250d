import {
  type CfnElement,
  type aws_iam as iam,
  type aws_lambda as lambda,
  Stack,
  type aws_secretsmanager as secretsmanager,
  type aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The managed policy every Lambda role gets for its logs; granular cdk-nag finding id. */
const BASIC_EXECUTION_POLICY =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';

const BASIC_EXECUTION_REASON =
  'AWSLambdaBasicExecutionRole only allows creating log streams and putting events into CloudWatch Logs; each ' +
  'function writes to its own log group created by this stack. A hand-written copy would need the same log-group ' +
  'wildcard, so the AWS-managed policy is kept.';

/** What the acknowledgements attach to. */
export interface NagTargets {
  /** Functions whose roles carry AWSLambdaBasicExecutionRole. */
  functions: lambda.IFunction[];
  /** The custom_resources.Provider framework's own onEvent function. */
  providerFramework: lambda.IFunction;
  /** The custom resource handler the framework invokes. */
  customResourceHandler: lambda.IFunction;
  /** `token-vault/default/oauth2credentialprovider/*`: what the handler may read and delete. */
  anyCredentialProviderArn: string;
  /** The CodeDeploy deployment group's service role. */
  deploymentRole: iam.IRole;
  /** The alarm topic, when alarm e-mails are on. */
  alarmTopic?: sns.ITopic;
  /** The generated webhook secret, when auto-review is on. */
  webhookSecret?: secretsmanager.ISecret;
}

/**
 * Acknowledges the AwsSolutions findings this stack accepts, each on the one construct it concerns and with the
 * reason it is acceptable. Anything not listed here fails the synth (bin/app.ts) and the infra test.
 */
export function acknowledgeNagFindings(targets: NagTargets): void {
  for (const fn of [...targets.functions, targets.providerFramework]) {
    acknowledge(fn.role, BASIC_EXECUTION_POLICY, BASIC_EXECUTION_REASON);
  }

  // The Provider framework grants itself lambda:InvokeFunction on "<handler ARN>:*" so it can call any version or
  // alias of the handler; the resource is this stack's single handler function.
  const handler = targets.customResourceHandler.node.defaultChild as CfnElement;
  const handlerLogicalId = Stack.of(handler).getLogicalId(handler);
  acknowledge(
    targets.providerFramework.role,
    `AwsSolutions-IAM5[Resource::<${handlerLogicalId}.Arn>:*]`,
    "The custom_resources.Provider framework's own policy: it may invoke only this stack's OAuth provider handler " +
      '(any version or alias of it, hence ":*"); no other function matches.',
  );

  const anyProvider = Stack.of(handler).resolve(targets.anyCredentialProviderArn);
  if (typeof anyProvider !== 'string') {
    throw new Error(
      'The credential provider ARN must resolve to text (the stack needs a concrete account and Region)',
    );
  }
  acknowledge(
    targets.customResourceHandler.role,
    `AwsSolutions-IAM5[Resource::${anyProvider}]`,
    'Get and Delete of OAuth2 credential providers cover every name: after a rename CloudFormation deletes the old ' +
      "provider with the new template's policy, which a name-scoped grant would deny, orphaning it with its users' " +
      'tokens. Create and Update stay scoped to the configured name; the handler deletes only physical ids ' +
      'CloudFormation sends it (adopted providers only on request) and only the Provider framework invokes it.',
  );

  acknowledge(
    targets.deploymentRole,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
    "CodeDeploy's own policy for Lambda deployments, which aws-cdk-lib's LambdaDeploymentGroup attaches: it may " +
      'read the rollback alarms, update aliases and invoke hook functions whose names start with CodeDeployHook_ ' +
      '(this stack has none). A hand-written copy would need the same account-wide alias and alarm scope.',
  );

  acknowledgeAutoReview(targets);

  if (targets.alarmTopic) {
    acknowledge(
      targets.alarmTopic,
      'AwsSolutions-SNS2',
      'The topic carries alarm notifications only (alarm names, thresholds and metric values: no user data). ' +
        'CloudWatch cannot publish to a topic encrypted with the AWS-managed aws/sns key, and a customer-managed key ' +
        'would add a monthly charge to protect nothing confidential; the topic refuses non-TLS publishing (SNS3).',
    );
  }
}

/** Acknowledgements of the auto-review resources (lib/auto-review.ts). */
function acknowledgeAutoReview(targets: NagTargets): void {
  if (targets.webhookSecret) {
    acknowledge(
      targets.webhookSecret,
      'AwsSolutions-SMG4',
      'The webhook secret is shared with GitHub: every subscribed repository hook holds a copy, so an automatic ' +
        'rotation would make every delivery fail its signature check until each hook is updated. It is rotated by ' +
        'hand (docs/auto-review.md, "Rotating the webhook secret"); the receiver re-reads it within minutes.',
    );
  }
}

function acknowledge(scope: IConstruct | undefined, id: string, reason: string): void {
  if (!scope) throw new Error(`Cannot acknowledge ${id}: the function has no role`);
  Validations.of(scope).acknowledge({ id, reason });
}
