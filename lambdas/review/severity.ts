import { type Finding, SEVERITIES, type Severity } from './findings';

/** Whether `severity` is at least as severe as `threshold` (critical > major > minor > nit). */
export function meetsThreshold(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/**
 * Splits findings at the severity threshold: `kept` are posted, `below` are only counted in the review body (a
 * repository that asked for `major` and up does not want its nits, even in the body).
 */
export function applyThreshold<F extends Finding>(
  findings: F[],
  threshold: Severity,
): { kept: F[]; below: F[] } {
  const kept: F[] = [];
  const below: F[] = [];
  for (const finding of findings) (meetsThreshold(finding.severity, threshold) ? kept : below).push(finding);
  return { kept, below };
}

/** How many findings of each severity, every severity present (zeros included). */
export function countBySeverity(findings: Pick<Finding, 'severity'>[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

/** Findings grouped by severity, most severe first, leaving out empty groups (input order kept within a group). */
export function groupBySeverity<F extends Finding>(
  findings: F[],
): Array<{ severity: Severity; findings: F[] }> {
  return SEVERITIES.map((severity) => ({
    severity,
    findings: findings.filter((finding) => finding.severity === severity),
  })).filter((group) => group.findings.length > 0);
}
