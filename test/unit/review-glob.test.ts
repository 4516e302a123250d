import { describe, expect, it } from 'vitest';
import { compileGlob, GlobError, MAX_GLOB_CHARS } from '../../lambdas/review/glob';

const matches = (glob: string, path: string) => compileGlob(glob).matches(path);

describe('compileGlob: syntax', () => {
  it.each([
    ['src/**', 'src/a/b/c.ts', true],
    ['src/**', 'srcx/a.ts', false],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/a/b.ts', false],
    ['**/*.test.ts', 'a/b/c.test.ts', true],
    ['**/*.test.ts', 'c.test.ts', true],
    ['docs/**/*.md', 'docs/a.md', true],
    ['docs/**/*.md', 'docs/x/y/a.md', true],
    ['docs/**/*.md', 'docsx/a.md', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/xb', false],
    ['file?.ts', 'lib/file1.ts', true],
    ['file?.ts', 'lib/file12.ts', false],
    ['[abc].ts', 'b.ts', true],
    ['[a-c].ts', 'd.ts', false],
    ['[!a-c].ts', 'd.ts', true],
    ['*.{ts,tsx}', 'ui/view.tsx', true],
    ['*.{ts,tsx}', 'ui/view.js', false],
  ])('%s against %s → %s', (glob, path, expected) => {
    expect(matches(glob, path)).toBe(expected);
  });

  it('matches a glob without a slash against the file name in any folder, as .gitignore does', () => {
    expect(matches('*.md', 'docs/deep/readme.md')).toBe(true);
  });

  it('anchors a glob with a leading slash at the repository root', () => {
    expect([matches('/README.md', 'README.md'), matches('/README.md', 'docs/README.md')]).toEqual([
      true,
      false,
    ]);
  });

  it('treats a trailing slash as a folder and everything below it', () => {
    expect([matches('vendor/', 'vendor/a/b.js'), matches('vendor/', 'vendored.js')]).toEqual([true, false]);
  });

  it('never lets * or ? cross a folder boundary', () => {
    expect([matches('src/*', 'src/a/b'), matches('src?a', 'src/a')]).toEqual([false, false]);
  });
});

describe('compileGlob: refusals', () => {
  it.each([
    ['', 'is empty'],
    ['src/[abc', 'has a "[" without its "]"'],
    ['src/{a,b', 'has a "{" without its "}"'],
    ['{a,{b,c}}', 'has nested "{...}" groups'],
    ['{a,b,c,d}{a,b,c,d}{a,b}', 'expands to more than 16 alternatives'],
    ['a'.repeat(MAX_GLOB_CHARS + 1), `is longer than ${MAX_GLOB_CHARS} characters`],
  ])('refuses %j: %s', (glob, message) => {
    expect(() => compileGlob(glob)).toThrow(new GlobError(glob, message));
  });
});

describe('compileGlob: hostile globs run in linear time', () => {
  // A backtracking matcher (or a glob compiled to a regex) takes exponential or high-polynomial time on these.
  const hostile = [
    `${'*a'.repeat(40)}*b`,
    `${'**/'.repeat(40)}b`,
    `${'?*'.repeat(40)}!`,
    `{${['*a*a*a*a*a*a*a*b', '**/a*a*a*a*a/**/b', '*?*?*?*?*?*?*?*?x'].join(',')}}`,
  ];
  const paths = ['a'.repeat(4000), `${'a/'.repeat(2000)}c`, `${'ab'.repeat(2000)}c`];

  it.each(hostile)('decides %s against three 4,000-character paths within 500 ms', (glob) => {
    const compiled = compileGlob(glob);
    const started = performance.now();

    const results = paths.map((path) => compiled.matches(path));

    expect(performance.now() - started).toBeLessThan(500);
    expect(results).toEqual([false, false, false]);
  });
});
