import type { CheckResult, CheckStatus, Phase } from './result';
import type { DoctorPlan } from './run';
import { CHECK_TITLES } from './run';

/** Somewhere to write text (process.stdout, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/** The marks of the checklist. */
export const MARKS: Record<CheckStatus, string> = { pass: '✔', fail: '✘', warn: '!', skip: '!' };

const COLOURS: Record<CheckStatus, string> = { pass: '32', fail: '31', warn: '33', skip: '33' };
const PHASE_HEADINGS: Record<Phase, string> = { before: 'Before deploy', after: 'After deploy' };
const TITLE_WIDTH = Math.max(...Object.values(CHECK_TITLES).map((title) => title.length));

/** What the header says about the run. */
export interface RunHeader {
  stackName: string;
  region: string;
  plan: DoctorPlan;
}

/** The human checklist, written line by line as results arrive. */
export interface ChecklistWriter {
  header(header: RunHeader): void;
  result(result: CheckResult): void;
  summary(results: CheckResult[]): void;
}

/** Creates the text renderer; colour only when asked (a TTY without NO_COLOR). */
export function createChecklistWriter(out: TextSink, options: { color: boolean }): ChecklistWriter {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  let phase: Phase | undefined;
  return {
    header({ stackName, region, plan }) {
      out.write(`Doctor: stack ${stackName} in ${region}, ${plan.phase} checks (${plan.reason})\n`);
    },
    result(result) {
      if (result.phase !== phase) {
        phase = result.phase;
        out.write(`\n${PHASE_HEADINGS[phase]}\n`);
      }
      const mark = paint(COLOURS[result.status], MARKS[result.status]);
      const skipped = result.status === 'skip' ? 'skipped: ' : '';
      out.write(`  ${mark} ${result.title.padEnd(TITLE_WIDTH)}  ${skipped}${result.detail}\n`);
      // A skip without advice (it only depends on another check) needs no pointer either.
      if (result.status !== 'pass' && (result.status !== 'skip' || result.fix)) {
        if (result.fix) out.write(`      → ${result.fix}\n`);
        out.write(`      → ${paint('2', result.doc)}\n`);
      }
    },
    summary(results) {
      const count = (status: CheckStatus) => results.filter((result) => result.status === status).length;
      const parts = [
        `${count('pass')} passed`,
        `${count('fail')} failed`,
        `${count('warn')} warnings`,
        `${count('skip')} skipped`,
      ];
      out.write(`\n${parts.join(', ')}\n`);
    },
  };
}

/** The `--json` document: everything the checklist says, for scripts and CI. */
export function toJsonReport(header: RunHeader, results: CheckResult[]): string {
  return `${JSON.stringify(
    {
      ok: results.every((result) => result.status !== 'fail'),
      stack: header.stackName,
      region: header.region,
      phase: header.plan.phase,
      reason: header.plan.reason,
      checks: results,
    },
    null,
    2,
  )}\n`;
}
