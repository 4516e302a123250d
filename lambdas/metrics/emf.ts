import type { Logger } from '../log';
import { DIMENSION, ERROR_OUTCOMES, METRIC, type MetricName } from './names';
import type { ConsentEvent, MetricsPort, ModelCallSummary, ReviewEvent } from './port';

export interface EmfMetricsOptions {
  /** CloudWatch namespace (METRICS_NAMESPACE). */
  namespace: string;
  /** The `service` dimension on every metric (METRICS_SERVICE): one value per deployment. */
  service: string;
  /** Where a metric that could not be written is reported (it never fails the turn). */
  logger?: Pick<Logger, 'warn'>;
}

/** The CloudWatch units these metrics use. */
export type MetricUnit = 'Count' | 'Milliseconds' | 'None';
type Entry = readonly [name: MetricName, unit: MetricUnit, value: number | undefined];

const CONSENT_METRIC: Record<ConsentEvent, MetricName> = {
  started: METRIC.consentsStarted,
  completed: METRIC.consentsCompleted,
  failed: METRIC.consentsFailed,
  expired: METRIC.consentsExpired,
  forced: METRIC.consentsForced,
};

const REVIEW_METRIC: Record<ReviewEvent, MetricName> = {
  created: METRIC.reviewPlansCreated,
  approved: METRIC.reviewsApproved,
  cancelled: METRIC.reviewsCancelled,
  expired: METRIC.reviewPlansExpired,
  posted: METRIC.reviewsPosted,
  failed: METRIC.reviewsFailed,
  stale: METRIC.reviewsStale,
};

/** Dimension values come from our own code (outcome codes, tool names); anything else is folded into `other`. */
const DIMENSION_VALUE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * One document in CloudWatch's embedded metric format (EMF): the metrics and their units under one dimension set (the
 * keys of `dimensions`, in order: callers put `service` first), with every value at the top level. The same document
 * Powertools Metrics writes for them (a test compares the two), built directly: Powertools' per-metric stores and
 * checks cost ~0.4 ms of CPU more per chat turn (docs/performance.md (f)).
 */
export function emfDocument(
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  metrics: ReadonlyArray<readonly [name: string, unit: MetricUnit, value: number]>,
  timestamp: number = Date.now(),
): string {
  const document: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: metrics.map(([name, unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    ...dimensions,
  };
  for (const [name, , value] of metrics) document[name] = value;
  return JSON.stringify(document);
}

/**
 * Writes one {@link emfDocument} as a line on stdout, where Lambda hands it to CloudWatch Logs. A line that cannot be
 * written is reported to `logger`, never thrown: metrics must not fail a turn.
 */
export function writeEmfLine(
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  metrics: ReadonlyArray<readonly [name: string, unit: MetricUnit, value: number]>,
  logger?: Pick<Logger, 'warn'>,
): void {
  try {
    process.stdout.write(`${emfDocument(namespace, dimensions, metrics)}\n`);
  } catch (error) {
    logger?.warn('A metric could not be written', { error: (error as Error).message });
  }
}

/**
 * The {@link MetricsPort} in CloudWatch embedded metric format: each call writes one JSON line to stdout, which
 * CloudWatch Logs turns into metrics (no API call, nothing on the hot path but the write).
 */
export function createEmfMetrics(options: EmfMetricsOptions): MetricsPort {
  /** One EMF line: the metrics that share these dimensions (`service` is always one). */
  const line = (dimensions: Record<string, string>, entries: readonly Entry[]) => {
    const present = entries.filter(
      (entry): entry is readonly [MetricName, MetricUnit, number] =>
        entry[2] !== undefined && Number.isFinite(entry[2]),
    );
    if (present.length === 0) return;
    const named: Record<string, string> = { service: options.service };
    for (const [name, value] of Object.entries(dimensions)) {
      named[name] = DIMENSION_VALUE.test(value) ? value : 'other';
    }
    writeEmfLine(options.namespace, named, present, options.logger);
  };

  const Count = 'Count';
  const Milliseconds = 'Milliseconds';
  const NoUnit = 'None';
  /** A model call's (or a turn's model calls') tokens and cost; `calls` of them. */
  const modelEntries = (calls: number, usage: ModelCallSummary): Entry[] => [
    [METRIC.modelCalls, Count, calls],
    [METRIC.inputTokens, Count, usage.inputTokens],
    [METRIC.outputTokens, Count, usage.outputTokens],
    [METRIC.cacheReadInputTokens, Count, usage.cacheReadInputTokens ?? 0],
    [METRIC.cacheWriteInputTokens, Count, usage.cacheWriteInputTokens ?? 0],
    [METRIC.estimatedCostUsd, NoUnit, usage.estimatedCostUsd],
  ];
  return {
    turnCompleted(summary) {
      const failures = Object.entries(summary.toolFailuresByTool).filter(([, count]) => count > 0);
      line({}, [
        [METRIC.turns, Count, 1],
        [METRIC.turnErrors, Count, isError(summary.outcome) ? 1 : 0],
        [METRIC.timeToFirstToken, Milliseconds, summary.firstTokenMs],
        [METRIC.turnDuration, Milliseconds, summary.durationMs],
        [METRIC.turnModelCalls, Count, summary.modelCalls],
        [METRIC.toolCalls, Count, summary.toolCalls],
        [METRIC.toolFailures, Count, failures.reduce((sum, [, count]) => sum + count, 0)],
        ...(summary.modelUsage ? modelEntries(summary.modelCalls, summary.modelUsage) : []),
      ]);
      line({ [DIMENSION.outcome]: summary.outcome }, [[METRIC.turnOutcomes, Count, 1]]);
      for (const [tool, count] of failures)
        line({ [DIMENSION.tool]: tool }, [[METRIC.toolFailures, Count, count]]);
    },
    modelCall(summary) {
      line({}, modelEntries(1, summary));
    },
    consent(event) {
      line({}, [[CONSENT_METRIC[event], Count, 1]]);
    },
    review(event, details = {}) {
      line({}, [
        [REVIEW_METRIC[event], Count, 1],
        [METRIC.reviewFilesReviewed, Count, details.filesReviewed],
        [METRIC.reviewFilesSkipped, Count, details.filesSkipped],
        [METRIC.reviewInlineComments, Count, details.inlineAccepted],
        [METRIC.reviewCommentsMovedToBody, Count, details.inlineMoved],
        [METRIC.reviewDuration, Milliseconds, details.durationMs],
      ]);
    },
    reviewJson(answer) {
      line({ [DIMENSION.output]: answer.output }, [
        [METRIC.reviewJsonRepairs, Count, answer.repaired ? 1 : 0],
        [METRIC.reviewStructuredOutputs, Count, answer.constrained ? 1 : 0],
      ]);
    },
    reviewFindings(summary) {
      line({}, [
        [METRIC.reviewFindingsBelowThreshold, Count, summary.belowThreshold],
        [METRIC.reviewFindingsDroppedBySelfCheck, Count, summary.droppedBySelfCheck],
        [METRIC.reviewSelfCheckFailures, Count, summary.selfCheckFailures],
      ]);
      for (const [severity, count] of Object.entries(summary.bySeverity)) {
        line({ [DIMENSION.severity]: severity }, [[METRIC.reviewFindings, Count, count]]);
      }
    },
    gitHubRateLimit(hit) {
      line({}, [[hit.retrying ? METRIC.gitHubRateLimitWaits : METRIC.gitHubRateLimitFailures, Count, 1]]);
    },
  };
}

function isError(outcome: string): boolean {
  return (ERROR_OUTCOMES as ReadonlySet<string>).has(outcome);
}
