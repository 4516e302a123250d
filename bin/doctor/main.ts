import { join } from 'node:path';
import { loadPrompt } from '../../lambdas/prompts';
import { ContextError } from '../../lib/context';
import { type DoctorOptions, parseDoctorArgs, USAGE } from './args';
import type { DoctorPorts } from './ports';
import { createChecklistWriter, type RunHeader, type TextSink, toJsonReport } from './render';
import type { CheckResult } from './result';
import { type DoctorRunInput, planDoctor, runChecks } from './run';
import { type DoctorSettings, resolveSettings } from './settings';

/** Exit codes: 0 nothing failed, 1 a check failed, 2 bad usage or invalid context. */
export const DOCTOR_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The process around doctor; `bin/doctor.ts` passes the real one, tests pass buffers and ports. */
export interface DoctorIo {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: TextSink & { isTTY?: boolean };
  stderr: TextSink;
  /** Where cdk.json is (the project root). */
  cwd: string;
  /** Reads cdk.json; undefined when there is none. */
  readCdkJson(path: string): Promise<unknown>;
  /** Builds the ports for the resolved settings (the real AWS adapters, or stand-ins in tests). */
  createPorts(settings: DoctorSettings, options: DoctorOptions): DoctorPorts;
  limits?: DoctorRunInput['limits'];
}

/**
 * Runs `npm run doctor`: parses the command line, reads the CDK context, chooses the phase, runs the checks and prints
 * the checklist (or `--json`).
 * @returns the process exit code
 */
export async function runDoctorCli(io: DoctorIo): Promise<number> {
  const args = parseDoctorArgs(io.argv);
  if (args.kind === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return DOCTOR_EXIT.ok;
  }
  if (args.kind === 'error') {
    io.stderr.write(`${args.message}\n\n${USAGE}\n`);
    return DOCTOR_EXIT.usage;
  }
  const { options } = args;

  let settings: DoctorSettings;
  try {
    settings = resolveSettings(await io.readCdkJson(join(io.cwd, 'cdk.json')), options);
  } catch (error) {
    if (!(error instanceof ContextError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return DOCTOR_EXIT.usage;
  }

  const input: DoctorRunInput = {
    options,
    settings,
    ports: io.createPorts(settings, options),
    chatMessage: loadPrompt('doctor-check').trim(),
    limits: io.limits,
  };
  const writer = options.json
    ? undefined
    : createChecklistWriter(io.stdout, { color: Boolean(io.stdout.isTTY) && io.env.NO_COLOR === undefined });
  let header: RunHeader;
  let results: CheckResult[];
  try {
    const plan = await planDoctor(input);
    header = { stackName: settings.stackName, region: settings.region, plan };
    writer?.header(header);
    results = await runChecks(plan, input, (result) => writer?.result(result));
  } finally {
    input.ports.close();
  }
  if (writer) writer.summary(results);
  else io.stdout.write(toJsonReport(header, results));
  return results.some((result) => result.status === 'fail') ? DOCTOR_EXIT.failed : DOCTOR_EXIT.ok;
}
