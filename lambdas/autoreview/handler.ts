/**
 * The auto-review worker's entry point (SQS event source, ReportBatchItemFailures). Cold start validates the
 * environment and builds every client once; each batch goes through {@link processJobBatch}.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadWorkerConfig } from './config';
import { createWorkerDeps } from './wiring';
import { processJobBatch } from './worker';

const deps = createWorkerDeps(loadWorkerConfig());

/** Time kept back to record the outcome and answer SQS before Lambda stops the function. */
const RESERVE_MS = 20_000;

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const signal = AbortSignal.timeout(Math.max(1_000, context.getRemainingTimeInMillis() - RESERVE_MS));
  return processJobBatch(deps, event.Records, signal);
}
