import type { Logger } from '../log';
import { writeEmfLine } from './emf';
import { METRIC, type MetricName } from './names';

export type DeliveryOutcome = 'accepted' | 'rejected' | 'duplicate' | 'ignored';
export type JobOutcome = 'run' | 'broken' | 'failed';

/** What the webhook receiver and the auto-review worker count. Never throws; no repo or user ids. */
export interface AutoReviewMetrics {
  delivery(outcome: DeliveryOutcome, jobsQueued?: number): void;
  job(outcome: JobOutcome): void;
}

const DELIVERY_METRIC: Record<DeliveryOutcome, MetricName> = {
  accepted: METRIC.webhookDeliveriesAccepted,
  rejected: METRIC.webhookDeliveriesRejected,
  duplicate: METRIC.webhookDeliveriesDuplicate,
  ignored: METRIC.webhookDeliveriesIgnored,
};

const JOB_METRIC: Record<JobOutcome, MetricName> = {
  run: METRIC.autoReviewJobsRun,
  broken: METRIC.autoReviewJobsBroken,
  failed: METRIC.autoReviewJobsFailed,
};

/** Counts nothing (local runs and tests that do not read metrics). */
export const noopAutoReviewMetrics: AutoReviewMetrics = { delivery: () => undefined, job: () => undefined };

/** The {@link AutoReviewMetrics} as CloudWatch embedded-metric-format lines (one per call, `service` dimension). */
export function createEmfAutoReviewMetrics(options: {
  namespace: string;
  service: string;
  logger?: Pick<Logger, 'warn'>;
}): AutoReviewMetrics {
  const dimensions = { service: options.service };
  const publish = (entries: Array<[MetricName, number]>) =>
    writeEmfLine(
      options.namespace,
      dimensions,
      entries.map(([name, value]) => [name, 'Count', value] as const),
      options.logger,
    );
  return {
    delivery(outcome, jobsQueued) {
      publish([
        [DELIVERY_METRIC[outcome], 1],
        ...(jobsQueued === undefined
          ? []
          : [[METRIC.autoReviewJobsQueued, jobsQueued] as [MetricName, number]]),
      ]);
    },
    job(outcome) {
      publish([[JOB_METRIC[outcome], 1]]);
    },
  };
}

/** The auto-review metrics `METRICS` selects: EMF lines, or none. */
export function autoReviewMetricsFor(
  config: { METRICS: 'emf' | 'off'; METRICS_NAMESPACE: string; METRICS_SERVICE: string },
  logger: Pick<Logger, 'warn'>,
): AutoReviewMetrics {
  return config.METRICS === 'emf'
    ? createEmfAutoReviewMetrics({
        namespace: config.METRICS_NAMESPACE,
        service: config.METRICS_SERVICE,
        logger,
      })
    : noopAutoReviewMetrics;
}
