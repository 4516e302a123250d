import { aws_cloudwatch as cloudwatch, type Duration } from 'aws-cdk-lib';
import { DEFAULT_METRICS_NAMESPACE, METRIC, type MetricName } from '../lambdas/metrics/names';

/**
 * The chat function's own metrics (lambdas/metrics/emf.ts) as CloudWatch reads them: namespace
 * `GitHubCodingAgent`, dimension `service` = the stack name (the function's METRICS_SERVICE).
 */
export interface ChatMetrics {
  /** `dimensions`: besides `service` (e.g. `{ Output: 'plan' }`). */
  metric(
    name: MetricName,
    statistic: string,
    period: Duration,
    label?: string,
    dimensions?: Record<string, string>,
  ): cloudwatch.Metric;
  /** Turns ending in a server-side error, in percent, when at least `minTurns` turns ran (else 0). */
  errorRatePercent(period: Duration, minTurns: number): cloudwatch.MathExpression;
  /** Consents completed out of those finished, in percent, when at least `minAttempts` finished (else 100). */
  oauthSuccessPercent(period: Duration, minAttempts: number): cloudwatch.MathExpression;
}

/** Metric objects for one stack's service dimension, shared by its alarms and its dashboard. */
export function chatMetrics(service: string): ChatMetrics {
  const metric = (
    name: MetricName,
    statistic: string,
    period: Duration,
    label?: string,
    dimensions: Record<string, string> = {},
  ) =>
    new cloudwatch.Metric({
      namespace: DEFAULT_METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { service, ...dimensions },
      statistic,
      period,
      ...(label === undefined ? {} : { label }),
    });
  return {
    metric,
    errorRatePercent: (period, minTurns) =>
      new cloudwatch.MathExpression({
        expression: `IF(turns >= ${minTurns}, 100 * errors / turns, 0)`,
        usingMetrics: {
          turns: metric(METRIC.turns, 'Sum', period),
          errors: metric(METRIC.turnErrors, 'Sum', period),
        },
        period,
        label: 'Error rate (%)',
      }),
    oauthSuccessPercent: (period, minAttempts) => {
      const attempts = '(FILL(completed, 0) + FILL(failed, 0) + FILL(expired, 0))';
      return new cloudwatch.MathExpression({
        expression: `IF(${attempts} >= ${minAttempts}, 100 * FILL(completed, 0) / ${attempts}, 100)`,
        usingMetrics: {
          completed: metric(METRIC.consentsCompleted, 'Sum', period),
          failed: metric(METRIC.consentsFailed, 'Sum', period),
          expired: metric(METRIC.consentsExpired, 'Sum', period),
        },
        period,
        label: 'OAuth success (%)',
      });
    },
  };
}
