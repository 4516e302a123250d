import {
  type aws_cloudwatch as cloudwatch,
  aws_codedeploy as codedeploy,
  type aws_lambda as lambda,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DEPLOYMENT_STRATEGIES } from './context';

const CONFIGS: Record<(typeof DEPLOYMENT_STRATEGIES)[number], codedeploy.ILambdaDeploymentConfig> = {
  canary: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  linear: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  'all-at-once': codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
};

/**
 * Shifts the `live` alias to each newly published version with CodeDeploy: by default 10 % of invocations for
 * 5 minutes, then all. A rollback alarm firing during the shift, a failed or a stopped deployment moves the alias back.
 * In-flight streams finish on the version they started on (an invocation never changes version).
 */
export function addCanaryDeployment(
  scope: Construct,
  props: {
    alias: lambda.Alias;
    strategy: (typeof DEPLOYMENT_STRATEGIES)[number];
    rollbackAlarms: cloudwatch.IAlarm[];
  },
): codedeploy.LambdaDeploymentGroup {
  return new codedeploy.LambdaDeploymentGroup(scope, 'ChatDeployment', {
    alias: props.alias,
    deploymentConfig: CONFIGS[props.strategy],
    alarms: props.rollbackAlarms,
    autoRollback: {
      failedDeployment: true,
      stoppedDeployment: true,
      deploymentInAlarm: props.rollbackAlarms.length > 0,
    },
  });
}
