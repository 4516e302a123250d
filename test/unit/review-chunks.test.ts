import { describe, expect, it } from 'vitest';
import { buildChunks, orderByRelevance, type ReviewFile, relevanceClass } from '../../lambdas/review/chunks';
import { hunkLines, parsePatch } from '../../lambdas/review/diff';
import { selectFiles } from '../../lambdas/review/scope';
import { hunkText, largePullRequestFiles } from '../support/review-fakes';

function reviewFile(path: string, patch: string, status: ReviewFile['status'] = 'modified'): ReviewFile {
  const hunks = parsePatch(patch);
  const lines = hunks.flatMap((hunk) => hunk.lines);
  return {
    path,
    status,
    additions: lines.filter((line) => line.kind === 'add').length,
    deletions: lines.filter((line) => line.kind === 'del').length,
    hunks,
  };
}

const addedLines = (count: number, width = 40) =>
  Array.from({ length: count }, (_, i) => `+${`line ${i} `.padEnd(width, 'x')}`);

/** Every (path, side, number) shown across all chunks, to check nothing is lost or shown twice. */
function shownKeys(chunks: ReturnType<typeof buildChunks>['chunks']): string[] {
  return chunks.flatMap((chunk) =>
    chunk.sections.flatMap((section) =>
      section.lines.map(({ line }) => `${section.path}:${line.oldLine ?? '-'}:${line.newLine ?? '-'}`),
    ),
  );
}

describe('relevance order', () => {
  it('classifies source, tests, config and docs', () => {
    expect(
      ['src/a.ts', 'src/a.test.ts', 'tsconfig.json', 'README.md', '.github/workflows/ci.yml'].map(
        relevanceClass,
      ),
    ).toEqual(['source', 'test', 'config', 'docs', 'source']);
  });

  it('puts source before tests before config before docs, larger changes first within a class', () => {
    const files = [
      { path: 'docs/guide.md', additions: 500, deletions: 0 },
      { path: 'test/runner.test.ts', additions: 50, deletions: 0 },
      { path: 'package.json', additions: 2, deletions: 1 },
      { path: 'src/small.ts', additions: 3, deletions: 0 },
      { path: 'src/big.ts', additions: 90, deletions: 10 },
    ];

    expect(orderByRelevance(files).map((file) => file.path)).toEqual([
      'src/big.ts',
      'src/small.ts',
      'test/runner.test.ts',
      'package.json',
      'docs/guide.md',
    ]);
  });
});

describe('buildChunks', () => {
  it('packs small files together into one chunk', () => {
    const files = ['a.ts', 'b.ts', 'c.ts'].map((path) => reviewFile(path, hunkText(1, 1, addedLines(5))));

    const result = buildChunks(files, { contentBudget: 2000, maxChunks: 10 });

    expect(result.chunks).toHaveLength(1);
    expect(result.reviewed).toEqual(['a.ts', 'b.ts', 'c.ts']);
  });

  it('splits a file larger than a chunk at hunk boundaries and labels the parts', () => {
    const patch = [
      hunkText(1, 1, addedLines(60)),
      hunkText(500, 560, addedLines(60)),
      hunkText(900, 1020, addedLines(60)),
    ].join('\n');
    const file = reviewFile('src/big.ts', patch);

    const result = buildChunks([file], { contentBudget: 1200, maxChunks: 10 });

    const sections = result.chunks.flatMap((chunk) => chunk.sections);
    expect(sections.length).toBeGreaterThan(1);
    expect(
      sections.every((section) => section.text.includes(`[part ${section.part} of ${sections.length}]`)),
    ).toBe(true);
    expect(sections.every((section) => new Set(section.lines.map((line) => line.hunkIndex)).size === 1)).toBe(
      true,
    );
    expect(shownKeys(result.chunks)).toEqual(
      hunkLines(file.hunks).map(({ line }) => `src/big.ts:-:${line.newLine}`),
    );
  });

  it('splits a single hunk larger than a chunk at line boundaries, marked as continued, losing no line', () => {
    const file = reviewFile('src/generated-by-hand.ts', hunkText(0, 1, addedLines(400)), 'added');

    const result = buildChunks([file], { contentBudget: 1500, maxChunks: 50 });

    expect(result.chunks.length).toBeGreaterThan(3);
    expect(result.chunks[1]?.sections[0]?.text).toContain('(continued)');
    expect(shownKeys(result.chunks)).toHaveLength(400);
    expect(new Set(shownKeys(result.chunks)).size).toBe(400);
  });

  it('cuts a single line larger than a chunk and marks the cut', () => {
    const file = reviewFile('src/min.ts', hunkText(0, 1, [`+${'x'.repeat(20_000)}`]), 'added');

    const result = buildChunks([file], { contentBudget: 500, maxChunks: 5 });

    expect(result.chunks[0]?.sections[0]?.text).toContain('[... line cut: too long]');
    expect(result.chunks[0]?.tokens).toBeLessThanOrEqual(500);
  });

  it('keeps every chunk within the budget', () => {
    const files = Array.from({ length: 30 }, (_, i) =>
      reviewFile(`src/f${i}.ts`, hunkText(1, 1, addedLines(10 + i * 7))),
    );

    const result = buildChunks(files, { contentBudget: 900, maxChunks: 100 });

    expect(result.chunks.every((chunk) => chunk.tokens <= 900)).toBe(true);
    expect(result.reviewed).toHaveLength(30);
  });

  it('lists files past the chunk limit as skipped instead of dropping them', () => {
    const files = Array.from({ length: 6 }, (_, i) =>
      reviewFile(`src/f${i}.ts`, hunkText(1, 1, addedLines(40))),
    );

    const result = buildChunks(files, { contentBudget: 800, maxChunks: 2 });

    expect(result.reviewed.length + result.skipped.length).toBe(6);
    expect(result.skipped.length).toBeGreaterThan(0);
    expect(result.skipped.every((file) => file.reason === 'review_limit')).toBe(true);
    expect(result.chunks).toHaveLength(2);
  });

  it('refuses a budget too small to hold a diff line', () => {
    expect(() => buildChunks([], { contentBudget: 10, maxChunks: 1 })).toThrow(/REVIEW_CHUNK_TOKEN_BUDGET/);
  });

  it('accounts for every file of a 300-file, ~20,000-line PR and keeps every chunk under budget', () => {
    const listed = largePullRequestFiles();
    const selection = selectFiles(listed, ['agent-tasks/']);
    const files = selection.reviewable.map((file) =>
      reviewFile(file.filename, file.patch ?? '', file.status),
    );

    const result = buildChunks(orderByRelevance(files), { contentBudget: 8000, maxChunks: 200 });

    const changed = listed.reduce((sum, file) => sum + (file.patch ? file.changes : 0), 0);
    expect(listed).toHaveLength(300);
    expect(changed).toBeGreaterThan(18_000);
    const accounted = [
      ...result.reviewed,
      ...result.skipped.map((file) => file.path),
      ...selection.skipped.map((file) => file.path),
      ...selection.outOfScope,
    ];
    expect(accounted.sort()).toEqual(listed.map((file) => file.filename).sort());
    expect(selection.skipped.map((file) => file.reason).sort()).toEqual(
      ['binary', 'generated', 'generated', 'lock_file', 'lock_file', 'no_patch', 'vendored'].sort(),
    );
    expect(result.chunks.length).toBeGreaterThan(5);
    expect(Math.max(...result.chunks.map((chunk) => chunk.tokens))).toBeLessThanOrEqual(8000);
  });
});
