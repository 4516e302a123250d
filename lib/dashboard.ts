import {
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_dynamodb as dynamodb,
  type aws_lambda as lambda,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DIMENSION, METRIC } from '../lambdas/metrics/names';
import { dynamoThrottles, MIN_SAMPLES } from './alarms';
import type { ChatMetrics } from './chat-metrics';

/** The product's targets (the original plan), drawn on the graphs they belong to. */
export const TARGETS = {
  firstTokenMs: 500,
  errorRatePercent: 1,
  oauthSuccessPercent: 95,
} as const;

export interface DashboardProps {
  name: string;
  metrics: ChatMetrics;
  fn: lambda.IFunction;
  tables: dynamodb.ITable[];
  alarms: cloudwatch.IAlarm[];
  /** Alarm thresholds to draw (0: off, not drawn). */
  thresholds: {
    firstTokenMs: number;
    errorRatePercent: number;
    oauthSuccessPercent: number;
    dailyCostUsd: number;
  };
  reservedConcurrency?: number;
}

/**
 * One CloudWatch dashboard with every target: time to first token (p50/p95), error rate, OAuth success, reviews,
 * tokens and estimated cost per day, throttles and concurrency. Targets are green lines, alarm thresholds red.
 */
export function addDashboard(scope: Construct, props: DashboardProps): cloudwatch.Dashboard {
  const { metrics, thresholds } = props;
  const five = Duration.minutes(5);
  const hour = Duration.hours(1);
  const day = Duration.days(1);
  const target = (value: number, label: string): cloudwatch.HorizontalAnnotation => ({
    value,
    label,
    color: cloudwatch.Color.GREEN,
  });
  const limit = (value: number, label: string): cloudwatch.HorizontalAnnotation[] =>
    value > 0 ? [{ value, label, color: cloudwatch.Color.RED }] : [];
  const graph = (props: cloudwatch.GraphWidgetProps) =>
    new cloudwatch.GraphWidget({ width: 8, height: 6, ...props });

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: props.name,
    defaultInterval: Duration.days(1),
  });
  dashboard.addWidgets(
    graph({
      title: 'Time to first token (ms)',
      left: [
        metrics.metric(METRIC.timeToFirstToken, 'p50', five, 'p50'),
        metrics.metric(METRIC.timeToFirstToken, 'p95', five, 'p95'),
      ],
      leftAnnotations: [
        target(TARGETS.firstTokenMs, `target ${TARGETS.firstTokenMs} ms`),
        ...limit(thresholds.firstTokenMs, `alarm p95 > ${thresholds.firstTokenMs} ms`),
      ],
    }),
    graph({
      title: 'Error rate (% of turns)',
      left: [metrics.errorRatePercent(five, 1)],
      leftAnnotations: [
        target(TARGETS.errorRatePercent, `target < ${TARGETS.errorRatePercent} %`),
        ...limit(
          thresholds.errorRatePercent,
          `alarm > ${thresholds.errorRatePercent} % (${MIN_SAMPLES}+ turns)`,
        ),
      ],
      right: [metrics.metric(METRIC.turns, 'Sum', five, 'turns')],
    }),
    graph({
      title: 'OAuth success (% of finished consents, hourly)',
      left: [metrics.oauthSuccessPercent(hour, 1)],
      leftAnnotations: [
        target(TARGETS.oauthSuccessPercent, `target > ${TARGETS.oauthSuccessPercent} %`),
        ...limit(thresholds.oauthSuccessPercent, `alarm < ${thresholds.oauthSuccessPercent} %`),
      ],
      leftYAxis: { min: 0, max: 100 },
      right: [
        metrics.metric(METRIC.consentsStarted, 'Sum', hour, 'started'),
        metrics.metric(METRIC.consentsForced, 'Sum', hour, 'forced re-consents'),
      ],
    }),
  );
  dashboard.addWidgets(
    graph({
      title: 'Reviews (hourly)',
      left: [
        metrics.metric(METRIC.reviewPlansCreated, 'Sum', hour, 'plans'),
        metrics.metric(METRIC.reviewsPosted, 'Sum', hour, 'posted'),
        metrics.metric(METRIC.reviewsFailed, 'Sum', hour, 'failed'),
        metrics.metric(METRIC.reviewsStale, 'Sum', hour, 'stale'),
      ],
      // Answers that needed the repair request: near zero once structured output constrains them.
      right: (['plan', 'findings'] as const).map((output) =>
        metrics.metric(METRIC.reviewJsonRepairs, 'Sum', hour, `JSON repairs (${output})`, {
          [DIMENSION.output]: output,
        }),
      ),
    }),
    graph({
      title: 'Tokens per day',
      left: [
        metrics.metric(METRIC.inputTokens, 'Sum', day, 'input'),
        metrics.metric(METRIC.outputTokens, 'Sum', day, 'output'),
        metrics.metric(METRIC.cacheReadInputTokens, 'Sum', day, 'cache read'),
        metrics.metric(METRIC.cacheWriteInputTokens, 'Sum', day, 'cache write'),
      ],
      view: cloudwatch.GraphWidgetView.BAR,
    }),
    graph({
      title: 'Estimated model cost per day (USD)',
      left: [metrics.metric(METRIC.estimatedCostUsd, 'Sum', day, 'estimated cost')],
      leftAnnotations: limit(thresholds.dailyCostUsd, `budget ${thresholds.dailyCostUsd} USD`),
      view: cloudwatch.GraphWidgetView.BAR,
    }),
  );
  dashboard.addWidgets(
    graph({
      title: 'Throttles',
      left: [
        props.fn.metricThrottles({ period: five, statistic: 'Sum', label: 'Lambda throttles' }),
        dynamoThrottles(props.tables, five),
        metrics.metric(METRIC.gitHubRateLimitWaits, 'Sum', five, 'GitHub rate-limit waits'),
      ],
    }),
    graph({
      title: 'Concurrent executions',
      left: [
        props.fn.metric('ConcurrentExecutions', {
          period: Duration.minutes(1),
          statistic: 'Maximum',
          label: 'max',
        }),
      ],
      leftAnnotations:
        props.reservedConcurrency === undefined
          ? []
          : [
              {
                value: props.reservedConcurrency,
                label: 'reserved concurrency',
                color: cloudwatch.Color.RED,
              },
            ],
    }),
    ...(props.alarms.length > 0
      ? [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 8, height: 6 })]
      : []),
  );
  return dashboard;
}
