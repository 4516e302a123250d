import { describe, expect, it } from 'vitest';
import { renderReviewBody, severitySummary } from '../../lambdas/review/body';
import { hunkLines, indexLines, type LineIndex, parsePatch } from '../../lambdas/review/diff';
import {
  type AnchoredFinding,
  anchorFindings,
  chunkFindingsSchema,
  dedupeFindings,
  type Finding,
  renderCommentBody,
  selectInline,
  toReviewComment,
} from '../../lambdas/review/findings';

const PATCH = [
  '@@ -10,3 +10,4 @@',
  ' const a = 1;',
  '-const b = 2;',
  '+const b = 3;',
  '+const c = 4;',
  ' return a;',
  '@@ -40,1 +41,2 @@',
  ' tail();',
  '+next();',
].join('\n');

const shown = new Map<string, LineIndex>([['src/a.ts', indexLines(hunkLines(parsePatch(PATCH)))]]);

const finding = (overrides: Partial<Finding> = {}): Finding => ({
  path: 'src/a.ts',
  line: 11,
  side: 'RIGHT',
  severity: 'major',
  confidence: 'high',
  message: 'b is overwritten with the wrong value',
  ...overrides,
});

describe('findings schema', () => {
  it('defaults the side to RIGHT and accepts nulls and upper-case severities', () => {
    const parsed = chunkFindingsSchema.parse({
      findings: [
        {
          path: 'a.ts',
          line: 3,
          start_line: null,
          side: null,
          severity: 'MAJOR',
          message: 'x',
          suggestion: null,
        },
      ],
    });

    expect(parsed.findings[0]).toEqual({
      path: 'a.ts',
      line: 3,
      side: 'RIGHT',
      severity: 'major',
      confidence: 'medium',
      message: 'x',
    });
  });

  it('accepts a bare array of findings', () => {
    expect(chunkFindingsSchema.parse([]).findings).toEqual([]);
  });

  it('refuses an unknown severity', () => {
    expect(
      chunkFindingsSchema.safeParse({ findings: [finding({ severity: 'high' as 'major' })] }).success,
    ).toBe(false);
  });
});

describe('anchorFindings', () => {
  it('keeps a finding on an added line', () => {
    const { anchored, unanchored } = anchorFindings([finding()], shown);

    expect(anchored).toEqual([{ ...finding(), applicable: true }]);
    expect(unanchored).toEqual([]);
  });

  it('keeps a finding on a deleted line on the LEFT, where a suggestion cannot apply', () => {
    const { anchored } = anchorFindings([finding({ line: 11, side: 'LEFT', suggestion: 'x' })], shown);

    expect(anchored[0]?.applicable).toBe(false);
  });

  it('moves a finding on a line outside the diff to the body with the reason', () => {
    const { anchored, unanchored } = anchorFindings([finding({ line: 30 })], shown);

    expect(anchored).toEqual([]);
    expect(unanchored[0]?.reason).toBe('line 30 (RIGHT) is not in the diff');
  });

  it('moves a finding on a file the chunk did not show to the body', () => {
    const { unanchored } = anchorFindings([finding({ path: 'src/other.ts' })], shown);

    expect(unanchored[0]?.reason).toMatch(/not part of the reviewed diff/);
  });

  it('keeps a range within one hunk as a multi-line comment', () => {
    const { anchored } = anchorFindings([finding({ start_line: 10, line: 12 })], shown);

    expect(toReviewComment(anchored[0] as AnchoredFinding)).toMatchObject({
      line: 12,
      start_line: 10,
      side: 'RIGHT',
      start_side: 'RIGHT',
    });
  });

  it('narrows a range across hunks to its last line, where a range suggestion no longer applies', () => {
    const { anchored } = anchorFindings(
      [finding({ start_line: 12, line: 42, suggestion: 'next2();' })],
      shown,
    );

    expect(anchored[0]).toMatchObject({ line: 42, start_line: undefined, applicable: false });
  });

  it('swaps a range written backwards', () => {
    const { anchored } = anchorFindings([finding({ start_line: 12, line: 10 })], shown);

    expect(anchored[0]).toMatchObject({ start_line: 10, line: 12 });
  });
});

describe('comment bodies', () => {
  it('renders a suggestion on the RIGHT as a one-click suggestion block', () => {
    const body = renderCommentBody({ ...finding({ suggestion: 'const b = 2;' }), applicable: true });

    expect(body).toBe(
      '**🟠 Major:** b is overwritten with the wrong value\n\n```suggestion\nconst b = 2;\n```',
    );
  });

  it('renders a suggestion that cannot apply as a plain code block', () => {
    const body = renderCommentBody({ ...finding({ suggestion: 'x();' }), applicable: false });

    expect(body).toContain('```\nx();\n```');
    expect(body).not.toContain('```suggestion');
  });

  it('fences a suggestion containing backticks with a longer fence', () => {
    const body = renderCommentBody({ ...finding({ suggestion: 'const s = ```;' }), applicable: true });

    expect(body).toContain('````suggestion\nconst s = ```;\n````');
  });

  it('drops trailing newlines of a suggestion', () => {
    const body = renderCommentBody({ ...finding({ suggestion: 'x();\n\n\n' }), applicable: true });

    expect(body).toContain('```suggestion\nx();\n```');
  });

  // The suggestion is model output shaped by the PR's text: its cost must not grow faster than its length.
  it('renders a suggestion of 60,000 newlines before text in linear time (under 100 ms)', () => {
    const suggestion = `${'\n'.repeat(60_000)}x();`;
    const started = performance.now();

    const body = renderCommentBody({ ...finding({ suggestion }), applicable: true });

    expect(performance.now() - started).toBeLessThan(100);
    expect(body.endsWith('x();\n```')).toBe(true);
  });

  it('breaks @mentions so a review never notifies anyone', () => {
    const body = renderCommentBody({
      ...finding({ message: 'ping @octocat and @org/team now' }),
      applicable: true,
    });

    expect(body).not.toMatch(/@[a-z]/);
  });
});

describe('dedupeFindings', () => {
  it('drops an exact repeat (same path, line, message up to case and punctuation)', () => {
    const result = dedupeFindings([
      finding(),
      finding({ message: 'B is overwritten with the wrong value!' }),
    ]);

    expect(result).toHaveLength(1);
  });

  it('drops a near-duplicate a line or two away, keeping the more severe one', () => {
    const result = dedupeFindings([
      finding({ severity: 'minor', line: 12, message: 'b is overwritten with a wrong value here' }),
      finding({ severity: 'critical' }),
    ]);

    expect(result.map((item) => item.severity)).toEqual(['critical']);
  });

  it('keeps different findings on the same line', () => {
    const result = dedupeFindings([finding(), finding({ message: 'c is never used' })]);

    expect(result).toHaveLength(2);
  });
});

describe('selectInline', () => {
  it('keeps the most severe findings inline and sends the rest to the body', () => {
    const findings: AnchoredFinding[] = [
      { ...finding({ severity: 'nit', line: 10 }), applicable: true },
      { ...finding({ severity: 'critical', line: 11 }), applicable: true },
      { ...finding({ severity: 'minor', line: 12 }), applicable: true },
    ];

    const { inline, overflow } = selectInline(findings, 2);

    expect(inline.map((item) => item.severity)).toEqual(['critical', 'minor']);
    expect(overflow.map((item) => item.severity)).toEqual(['nit']);
  });
});

describe('review body', () => {
  const base = {
    planId: 'p_body1',
    headSha: 'c'.repeat(40),
    reviewed: ['agent-tasks/a.ts'],
    skipped: [{ path: 'agent-tasks/yarn.lock', reason: 'lock_file' as const }],
    outOfScope: ['src/x.ts'],
    pathPrefixes: ['agent-tasks/'],
    listingTruncated: false,
    inline: [finding()],
    unanchored: [
      { ...finding({ line: 99, severity: 'minor', message: 'check the caller' }), reason: 'not in diff' },
    ],
    overflow: [],
    maxInline: 50,
  };

  it('says what was reviewed, what was skipped and why, and the findings not on a line', () => {
    const body = renderReviewBody(base);

    expect(body).toContain('**2 findings:** 🟠 1 major · 🟡 1 minor');
    expect(body).toContain('Reviewed 1 file');
    expect(body).toContain('`agent-tasks/a.ts`');
    expect(body).toContain('`agent-tasks/yarn.lock`: lock file');
    expect(body).toContain('`src/x.ts`');
    expect(body).toContain('`src/a.ts:99` check the caller');
  });

  it('leaves out empty sections', () => {
    const body = renderReviewBody({ ...base, skipped: [], outOfScope: [], unanchored: [], inline: [] });

    expect(body).toContain('No issues found');
    expect(body).not.toContain('Skipped');
    expect(body).not.toContain('not on a diff line');
  });

  it('warns when GitHub listed only part of the files', () => {
    expect(renderReviewBody({ ...base, listingTruncated: true })).toContain('listed only part');
  });

  it('summarises an empty review in one line', () => {
    expect(severitySummary([])).toBe('No issues found in the reviewed changes.');
  });
});
