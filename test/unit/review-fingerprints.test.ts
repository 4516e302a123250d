import { describe, expect, it } from 'vitest';
import { parsePatch } from '../../lambdas/review/diff';
import { fingerprintFinding, lineTexts } from '../../lambdas/review/fingerprints';

/** The texts of a one-file diff that adds `lines` starting at new line `start`. */
function addedAt(start: number, lines: string[], path = 'src/app.ts') {
  const patch = [`@@ -0,0 +${start},${lines.length} @@`, ...lines.map((line) => `+${line}`)].join('\n');
  return lineTexts([{ path, hunks: parsePatch(patch) }]);
}

const CODE = ['const value = JSON.parse(raw);', 'return value as Config;'];
const finding = {
  path: 'src/app.ts',
  side: 'RIGHT' as const,
  line: 11,
  start_line: 10,
  message: 'JSON.parse throws on empty input: check `raw` first.',
};

describe('fingerprintFinding', () => {
  it('is 16 hex digits', () => {
    expect(fingerprintFinding(finding, addedAt(10, CODE))).toMatch(/^[0-9a-f]{16}$/);
  });

  it('stays the same when the code moves to other lines', () => {
    const before = fingerprintFinding(finding, addedAt(10, CODE));

    const moved = fingerprintFinding({ ...finding, start_line: 25, line: 26 }, addedAt(25, CODE));

    expect(moved).toBe(before);
  });

  it('stays the same when the code is re-indented and the text differs only in case and punctuation', () => {
    const before = fingerprintFinding(finding, addedAt(10, CODE));

    const after = fingerprintFinding(
      { ...finding, message: 'json.parse throws on empty input -- check raw first' },
      addedAt(
        10,
        CODE.map((line) => `    ${line.replace(/ /g, '  ')}`),
      ),
    );

    expect(after).toBe(before);
  });

  it('differs when the code it points at changed', () => {
    const before = fingerprintFinding(finding, addedAt(10, CODE));

    const after = fingerprintFinding(finding, addedAt(10, ['const value = safeParse(raw);', CODE[1] ?? '']));

    expect(after).not.toBe(before);
  });

  it('differs for another file with the same code and text', () => {
    const other = { ...finding, path: 'src/other.ts' };

    expect(fingerprintFinding(other, addedAt(10, CODE, 'src/other.ts'))).not.toBe(
      fingerprintFinding(finding, addedAt(10, CODE)),
    );
  });

  it('differs for another finding on the same lines', () => {
    const texts = addedAt(10, CODE);

    expect(fingerprintFinding({ ...finding, message: 'Name the config type.' }, texts)).not.toBe(
      fingerprintFinding(finding, texts),
    );
  });
});
