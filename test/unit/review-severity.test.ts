import { describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../lambdas/agent/model';
import { type ReviewSummary, renderReviewBody } from '../../lambdas/review/body';
import { hunkLines, parsePatch } from '../../lambdas/review/diff';
import type { Finding, UnanchoredFinding } from '../../lambdas/review/findings';
import { renderFinding, selfCheckFindings } from '../../lambdas/review/self-check';
import {
  applyThreshold,
  countBySeverity,
  groupBySeverity,
  meetsThreshold,
} from '../../lambdas/review/severity';
import { createScriptedModel, hunkText, lastUserText } from '../support/review-fakes';

const finding = (overrides: Partial<Finding> = {}): Finding => ({
  path: 'src/a.ts',
  line: 2,
  side: 'RIGHT',
  severity: 'major',
  confidence: 'high',
  message: 'b is overwritten',
  ...overrides,
});

describe('severity threshold', () => {
  it('keeps findings at or above the threshold and counts the rest', () => {
    const findings = [
      finding({ severity: 'nit' }),
      finding({ severity: 'critical' }),
      finding({ severity: 'minor' }),
      finding({ severity: 'major' }),
    ];

    const { kept, below } = applyThreshold(findings, 'major');

    expect(kept.map((item) => item.severity)).toEqual(['critical', 'major']);
    expect(below.map((item) => item.severity)).toEqual(['nit', 'minor']);
  });

  it('orders severities critical > major > minor > nit', () => {
    expect([
      meetsThreshold('nit', 'nit'),
      meetsThreshold('nit', 'minor'),
      meetsThreshold('critical', 'nit'),
    ]).toEqual([true, false, true]);
  });

  it('counts and groups by severity, most severe first, without empty groups', () => {
    const findings = [
      finding({ severity: 'nit' }),
      finding({ severity: 'critical' }),
      finding({ severity: 'nit' }),
    ];

    expect(countBySeverity(findings)).toEqual({ critical: 1, major: 0, minor: 0, nit: 2 });
    expect(groupBySeverity(findings).map((group) => [group.severity, group.findings.length])).toEqual([
      ['critical', 1],
      ['nit', 2],
    ]);
  });
});

describe('review body: severity groups and filtering', () => {
  const summary = (overrides: Partial<ReviewSummary> = {}): ReviewSummary => ({
    planId: 'p_1',
    headSha: 'a'.repeat(40),
    reviewed: ['src/a.ts'],
    skipped: [],
    outOfScope: [],
    pathPrefixes: [],
    listingTruncated: false,
    inline: [],
    unanchored: [],
    overflow: [],
    maxInline: 50,
    ...overrides,
  });
  const unanchored = (overrides: Partial<Finding>): UnanchoredFinding => ({
    ...finding(overrides),
    reason: 'x',
  });

  it('lists body findings under one heading per severity, most severe first', () => {
    const body = renderReviewBody(
      summary({
        unanchored: [
          unanchored({ severity: 'minor', message: 'Minor one' }),
          unanchored({ severity: 'critical', message: 'Critical one' }),
          unanchored({ severity: 'minor', message: 'Another minor', confidence: 'low' }),
        ],
      }),
    );

    const critical = body.indexOf('**🔴 Critical**');
    const minor = body.indexOf('**🟡 Minor**');
    expect(critical).toBeGreaterThan(0);
    expect(minor).toBeGreaterThan(critical);
    expect(body.slice(minor)).toContain('- `src/a.ts:2` Another minor _(low confidence)_');
  });

  it('says how many findings were below the threshold and how many the self-check dropped', () => {
    const body = renderReviewBody(summary({ threshold: 'major', belowThreshold: 3, droppedBySelfCheck: 1 }));

    expect(body).toContain("_3 findings below this review's `major` severity threshold not posted._");
    expect(body).toContain('_1 finding dropped by the self-check: the diff lines did not support them._');
  });

  it('says nothing about filtering when nothing was filtered', () => {
    const body = renderReviewBody(summary({ threshold: 'minor', belowThreshold: 0, droppedBySelfCheck: 0 }));

    expect(body).not.toMatch(/threshold|self-check/);
  });

  it('warns that the rules file was not used, listing its problems without letting them mention anyone', () => {
    const body = renderReviewBody(
      summary({
        configProblems: ['severity_threshold: must be one of critical, major, minor, nit', 'x: @octocat'],
      }),
    );

    expect(body).toContain(
      "> This repository's `.github/coding-agent.yml` (read from the base branch) could not be used",
    );
    expect(body).toContain(
      '> - severity_threshold: must be one of critical, major, minor, nit\n> - x: @\u200boctocat',
    );
  });
});

describe('selfCheckFindings', () => {
  const patch = hunkText(1, 1, [' const a = 1;', '+const b = 2;', '+const b = 3;', ' return a;']);
  const shown = new Map([['src/a.ts', hunkLines(parsePatch(patch))]]);
  const findings = [
    finding({ line: 3, message: 'b is declared twice' }),
    finding({ line: 2, message: 'The database password is logged' }),
  ];

  it('shows each finding with the diff lines around it', () => {
    const text = renderFinding(findings[0] as Finding, 1, shown);

    expect(text).toContain('#### FINDING 1\n\nLocation: src/a.ts:3 (RIGHT)');
    expect(text).toContain('  2 +const b = 2;\n  3 +const b = 3;');
  });

  it('drops a finding the check says its lines do not support, in one call per batch', async () => {
    const model = createScriptedModel(() =>
      JSON.stringify({
        verdicts: [
          { id: 1, supported: true },
          { id: 2, supported: false },
        ],
      }),
    );

    const result = await selfCheckFindings({ model, findings, shown, pr: 'o/r#1', maxTokens: 500 });

    expect(result.kept.map((item) => item.message)).toEqual(['b is declared twice']);
    expect(result.dropped.map((item) => item.message)).toEqual(['The database password is logged']);
    expect(model.requests).toHaveLength(1);
    expect(lastUserText(model.requests[0] as ModelRequest)).toMatch(
      /BEGIN UNTRUSTED PR CONTENT [0-9a-f]{12}/,
    );
  });

  it('keeps every finding (fails open) when the answer stays garbled after the repair', async () => {
    const warnings: string[] = [];
    const model = createScriptedModel(() => 'Both look right to me!');

    const result = await selfCheckFindings({
      model,
      findings,
      shown,
      pr: 'o/r#1',
      maxTokens: 500,
      logger: { warn: (message) => warnings.push(String(message)) },
    });

    expect(result).toEqual({ kept: findings, dropped: [], failedBatches: 1 });
    expect(model.requests).toHaveLength(2);
    expect(warnings).toEqual(['self-check failed; its findings are kept']);
  });

  it('keeps a finding the answer gives no verdict for', async () => {
    const model = createScriptedModel(() => JSON.stringify({ verdicts: [{ id: 2, supported: false }] }));

    const result = await selfCheckFindings({ model, findings, shown, pr: 'o/r#1', maxTokens: 500 });

    expect(result.kept).toEqual([findings[0]]);
  });
});
