import { readContext, type StackContext } from '../../lib/context';
import type { DoctorOptions } from './args';

/** What doctor checks against: the stack's context as `cdk deploy` would read it, plus the command line. */
export interface DoctorSettings {
  context: StackContext;
  stackName: string;
  region: string;
  /** Where the Region came from, for the header line. */
  regionSource: '--region' | 'context' | 'default';
}

/**
 * Reads the CDK context the way the app does (cdk.json's `context`, then `-c key=value` on top) and applies the
 * command line's `--stack` and `--region`.
 * @param cdkJson the parsed cdk.json, or undefined when there is none
 * @throws ContextError when a context value is invalid (synth would refuse it too)
 */
export function resolveSettings(cdkJson: unknown, options: DoctorOptions): DoctorSettings {
  const fileContext = contextOf(cdkJson);
  const raw = (key: string): unknown => options.context[key] ?? fileContext[key];
  const context = readContext(raw);
  const regionSource = options.region ? '--region' : raw('region') !== undefined ? 'context' : 'default';
  return {
    context,
    stackName: options.stack ?? context.stackName,
    region: options.region ?? context.region,
    regionSource,
  };
}

function contextOf(cdkJson: unknown): Record<string, unknown> {
  if (!cdkJson || typeof cdkJson !== 'object' || !('context' in cdkJson)) return {};
  const { context } = cdkJson;
  return context && typeof context === 'object' ? (context as Record<string, unknown>) : {};
}
