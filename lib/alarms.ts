import {
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  Duration,
  type aws_dynamodb as dynamodb,
  type aws_lambda as lambda,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRIC } from '../lambdas/metrics/names';
import type { ChatMetrics } from './chat-metrics';

/** Below this many turns (or invocations, or finished consents) a rate is too noisy to page anyone. */
export const MIN_SAMPLES = 10;

export interface AlarmSettings {
  /** 0: off. */
  errorRateAlarmPercent: number;
  /** 0: off. */
  firstTokenAlarmMs: number;
  /** 0: off. */
  oauthSuccessAlarmPercent: number;
  throttleAlarms: boolean;
  /** 0: off. */
  dailyCostBudgetUsd: number;
  alarmEmail?: string;
}

export interface AlarmTargets {
  metrics: ChatMetrics;
  fn: lambda.IFunction;
  alias: lambda.Alias;
  tables: dynamodb.ITable[];
}

export interface ChatAlarms {
  /** Every alarm created (disabled ones are not created). */
  all: cloudwatch.Alarm[];
  /** The alarms that roll a deployment back: errors and first-token latency. */
  rollback: cloudwatch.Alarm[];
  /** Where alarms notify, when `alarmEmail` is set. */
  topic?: sns.Topic;
}

/**
 * The alarms for the product's targets, each with its context key (docs/operations.md): error rate, function errors,
 * p95 time to first token, OAuth success, Lambda and DynamoDB throttles, and the estimated daily model cost. Missing
 * data (no traffic) never alarms.
 */
export function addAlarms(scope: Construct, settings: AlarmSettings, targets: AlarmTargets): ChatAlarms {
  const construct = new Construct(scope, 'Alarms');
  const { metrics } = targets;
  const fiveMinutes = Duration.minutes(5);
  const alarm = (
    id: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    comparisonOperator: cloudwatch.ComparisonOperator,
  ) =>
    new cloudwatch.Alarm(construct, id, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  const { GREATER_THAN_THRESHOLD: above, LESS_THAN_THRESHOLD: below } = cloudwatch.ComparisonOperator;
  const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

  const rollback: cloudwatch.Alarm[] = [];
  const others: cloudwatch.Alarm[] = [];
  if (settings.errorRateAlarmPercent > 0) {
    rollback.push(
      alarm(
        'ErrorRate',
        `More than ${settings.errorRateAlarmPercent} % of chat turns ended in a server-side error over 5 minutes ` +
          `(at least ${MIN_SAMPLES} turns). Context key errorRateAlarmPercent.`,
        metrics.errorRatePercent(fiveMinutes, MIN_SAMPLES),
        settings.errorRateAlarmPercent,
        above,
      ),
      // A version that fails at cold start writes no turn metric at all: Lambda's own errors on the alias catch it.
      alarm(
        'FunctionErrorRate',
        `More than ${settings.errorRateAlarmPercent} % of invocations of the live alias failed (crash, timeout or ` +
          `a broken cold start) over 5 minutes (at least ${MIN_SAMPLES}). Context key errorRateAlarmPercent.`,
        new cloudwatch.MathExpression({
          expression: `IF(invocations >= ${MIN_SAMPLES}, 100 * errors / invocations, 0)`,
          usingMetrics: {
            invocations: targets.alias.metricInvocations({ period: fiveMinutes, statistic: 'Sum' }),
            errors: targets.alias.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
          },
          period: fiveMinutes,
          label: 'Function error rate (%)',
        }),
        settings.errorRateAlarmPercent,
        above,
      ),
    );
  }
  if (settings.firstTokenAlarmMs > 0) {
    rollback.push(
      alarm(
        'FirstTokenLatency',
        `p95 time to first token above ${settings.firstTokenAlarmMs} ms over 5 minutes. Context key firstTokenAlarmMs.`,
        metrics.metric(METRIC.timeToFirstToken, 'p95', fiveMinutes),
        settings.firstTokenAlarmMs,
        above,
      ),
    );
  }
  if (settings.oauthSuccessAlarmPercent > 0) {
    others.push(
      alarm(
        'OAuthSuccess',
        `Fewer than ${settings.oauthSuccessAlarmPercent} % of GitHub consents completed over an hour (at least ` +
          `${MIN_SAMPLES} finished). Context key oauthSuccessAlarmPercent.`,
        metrics.oauthSuccessPercent(Duration.hours(1), MIN_SAMPLES),
        settings.oauthSuccessAlarmPercent,
        below,
      ),
    );
  }
  if (settings.throttleAlarms) {
    others.push(
      alarm(
        'FunctionThrottles',
        'The chat function was throttled (reserved or account concurrency reached) in the last 5 minutes. ' +
          'Context key throttleAlarms.',
        targets.fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        1,
        atLeast,
      ),
      alarm(
        'DynamoDbThrottles',
        'A sessions or plans table throttled reads or writes in the last 5 minutes. Context key throttleAlarms.',
        dynamoThrottles(targets.tables, fiveMinutes),
        1,
        atLeast,
      ),
    );
  }
  if (settings.dailyCostBudgetUsd > 0) {
    others.push(
      alarm(
        'DailyCost',
        `Estimated model cost above ${settings.dailyCostBudgetUsd} USD over a day. Context key dailyCostBudgetUsd.`,
        metrics.metric(METRIC.estimatedCostUsd, 'Sum', Duration.days(1)),
        settings.dailyCostBudgetUsd,
        above,
      ),
    );
  }

  const all = [...rollback, ...others];
  const topic = settings.alarmEmail ? new sns.Topic(construct, 'Topic', { enforceSSL: true }) : undefined;
  if (topic && settings.alarmEmail) {
    topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    for (const each of all) each.addAlarmAction(new cloudwatchActions.SnsAction(topic));
  }
  return { all, rollback, ...(topic ? { topic } : {}) };
}

/** Read and write throttle events of the tables, summed (on-demand tables throttle too, e.g. on a hot partition). */
export function dynamoThrottles(tables: dynamodb.ITable[], period: Duration): cloudwatch.MathExpression {
  const usingMetrics: Record<string, cloudwatch.IMetric> = {};
  tables.forEach((table, index) => {
    usingMetrics[`r${index}`] = table.metric('ReadThrottleEvents', { period, statistic: 'Sum' });
    usingMetrics[`w${index}`] = table.metric('WriteThrottleEvents', { period, statistic: 'Sum' });
  });
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    period,
    label: 'DynamoDB throttle events',
  });
}
