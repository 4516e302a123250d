import { describe, expect, it } from 'vitest';
import {
  checkAnchor,
  DiffParseError,
  hunkLines,
  indexLines,
  parsePatch,
  renderLines,
} from '../../lambdas/review/diff';

const PATCH = [
  '@@ -10,4 +10,5 @@ function run() {',
  ' const a = 1;',
  '-const b = 2;',
  '+const b = 3;',
  '+const c = 4;',
  ' return a;',
  '@@ -40,2 +41,2 @@',
  ' tail();',
  '-old();',
  '+next();',
  '\\ No newline at end of file',
].join('\n');

describe('parsePatch', () => {
  it('numbers added lines by the new file and deleted lines by the old file', () => {
    const [first] = parsePatch(PATCH);

    expect(first?.lines).toEqual([
      { kind: 'context', oldLine: 10, newLine: 10, text: 'const a = 1;' },
      { kind: 'del', oldLine: 11, newLine: null, text: 'const b = 2;' },
      { kind: 'add', oldLine: null, newLine: 11, text: 'const b = 3;' },
      { kind: 'add', oldLine: null, newLine: 12, text: 'const c = 4;' },
      { kind: 'context', oldLine: 12, newLine: 13, text: 'return a;' },
    ]);
  });

  it('reads every hunk and skips the "No newline" marker', () => {
    const hunks = parsePatch(PATCH);

    expect(hunks.map((hunk) => [hunk.index, hunk.oldStart, hunk.newStart, hunk.lines.length])).toEqual([
      [0, 10, 10, 5],
      [1, 40, 41, 3],
    ]);
  });

  it('tolerates CRLF line endings and context lines whose leading space was stripped', () => {
    const hunks = parsePatch('@@ -1,3 +1,3 @@\r\n a\r\n\r\n+b\r\n');

    expect(hunks[0]?.lines.map((line) => [line.kind, line.text])).toEqual([
      ['context', 'a'],
      ['context', ''],
      ['add', 'b'],
    ]);
  });

  it('refuses text that is not a unified diff', () => {
    expect(() => parsePatch('just some text')).toThrow(DiffParseError);
  });
});

describe('commentable lines', () => {
  const index = indexLines(hunkLines(parsePatch(PATCH)));

  it('accepts added and context lines on the RIGHT by new number', () => {
    expect([...index.RIGHT.keys()]).toEqual([10, 11, 12, 13, 41, 42]);
  });

  it('accepts deleted and context lines on the LEFT by old number', () => {
    expect([...index.LEFT.keys()]).toEqual([10, 11, 12, 40, 41]);
  });

  it('refuses a line outside the diff', () => {
    expect(checkAnchor(index, { line: 30, side: 'RIGHT' })).toEqual({
      ok: false,
      reason: 'line 30 (RIGHT) is not in the diff',
    });
  });

  it('accepts a range inside one hunk', () => {
    expect(checkAnchor(index, { line: 13, side: 'RIGHT', startLine: 11 })).toEqual({ ok: true });
  });

  it('refuses a range that spans two hunks', () => {
    expect(checkAnchor(index, { line: 41, side: 'RIGHT', startLine: 12 })).toEqual({
      ok: false,
      reason: 'the range spans more than one hunk',
    });
  });

  it('refuses a range that starts after it ends', () => {
    expect(checkAnchor(index, { line: 11, side: 'RIGHT', startLine: 13 }).ok).toBe(false);
  });
});

describe('renderLines', () => {
  it('shows the old and new number of every line with its marker', () => {
    const [first] = parsePatch(PATCH);

    expect(renderLines(first?.lines ?? [])).toBe(
      [
        '10 10  const a = 1;',
        '11    -const b = 2;',
        '   11 +const b = 3;',
        '   12 +const c = 4;',
        '12 13  return a;',
      ].join('\n'),
    );
  });
});
