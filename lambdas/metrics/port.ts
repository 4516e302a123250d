import type { ErrorCode } from '../agent/events';
import type { TokenUsage } from '../agent/model';

/** How a turn ended: as the client saw it (`error` code of the first error event, or a consent link, or neither). */
export type TurnOutcomeCode = 'completed' | 'consent_required' | ErrorCode;

/** One chat turn, as measured from the events it streamed. */
export interface TurnSummary {
  outcome: TurnOutcomeCode;
  /** Absent when the turn streamed no text. */
  firstTokenMs?: number;
  durationMs: number;
  /** Calls by the agent loop (review model calls are counted per call by {@link MetricsPort.modelCall}). */
  modelCalls: number;
  toolCalls: number;
  /** Failed tool results by tool name (names outside the turn's tool list are counted as `unknown`). */
  toolFailuresByTool: Readonly<Record<string, number>>;
  /**
   * The agent loop's model calls' tokens and cost, summed, when the turn meter counts them (the chat function): they
   * go in the turn's line rather than one line per call. CloudWatch sums come out the same; each line costs CPU.
   */
  modelUsage?: ModelCallSummary;
}

/** One finished model call: its tokens and, when the model has a price, what they cost. */
export interface ModelCallSummary extends TokenUsage {
  estimatedCostUsd?: number;
}

export type ConsentEvent = 'started' | 'completed' | 'failed' | 'expired' | 'forced';

export type ReviewEvent = 'created' | 'approved' | 'cancelled' | 'expired' | 'posted' | 'failed' | 'stale';

/** What a posted review did; each figure is optional so a caller sends what it knows. */
export interface ReviewDetails {
  filesReviewed?: number;
  filesSkipped?: number;
  /** Findings posted as line comments. */
  inlineAccepted?: number;
  /** Findings that could not be anchored to the diff and went into the review body. */
  inlineMoved?: number;
  durationMs?: number;
}

/** Which structured answer of the review workflow: the plan, or a part's findings. */
export type ReviewJsonOutput = 'plan' | 'findings' | 'self_check';

/** How one review JSON answer was obtained. */
export interface ReviewJsonAnswer {
  output: ReviewJsonOutput;
  /** The first answer failed validation and the repair request was made (whatever it returned). */
  repaired: boolean;
  /** The model was constrained to the answer's JSON Schema (Bedrock structured output). */
  constrained: boolean;
}

/** What became of one posted review's findings (severity threshold and self-check: lambdas/review/severity.ts). */
export interface ReviewFindingsSummary {
  /** Posted findings (inline and in the body) by severity. */
  bySeverity: Readonly<Record<'critical' | 'major' | 'minor' | 'nit', number>>;
  /** Less severe than the threshold: counted in the body, not posted. */
  belowThreshold: number;
  /** Not supported by their diff lines according to the self-check: not posted. */
  droppedBySelfCheck: number;
  /** Self-check calls that failed (their findings were kept: the check fails open). */
  selfCheckFailures: number;
}

/**
 * Where the service's operational metrics go. Calls never throw and never block: the EMF adapter writes one log line,
 * the no-op adapter nothing. Only low-cardinality values may become dimensions (never user, session or repo ids).
 */
export interface MetricsPort {
  turnCompleted(summary: TurnSummary): void;
  modelCall(summary: ModelCallSummary): void;
  consent(event: ConsentEvent): void;
  review(event: ReviewEvent, details?: ReviewDetails): void;
  reviewJson(answer: ReviewJsonAnswer): void;
  /** Once per posted review. Optional so test doubles written before it need not change. */
  reviewFindings?(summary: ReviewFindingsSummary): void;
  gitHubRateLimit(hit: { kind: 'primary' | 'secondary'; retrying: boolean }): void;
}

/** A {@link MetricsPort} that records nothing (tests and local runs). */
export const noopMetrics: MetricsPort = {
  turnCompleted: () => undefined,
  modelCall: () => undefined,
  consent: () => undefined,
  review: () => undefined,
  reviewJson: () => undefined,
  reviewFindings: () => undefined,
  gitHubRateLimit: () => undefined,
};
