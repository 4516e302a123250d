import { describe, expect, it } from 'vitest';
import { ignoreReason, isInScope, selectFiles } from '../../lambdas/review/scope';
import { prFile } from '../support/review-fakes';

const patch = ['+const a = 1;'];

describe('review path scope', () => {
  it('reviews every path when no prefix is configured', () => {
    expect(isInScope('src/deep/file.ts', [])).toBe(true);
  });

  it('matches files under a folder prefix, nested or not', () => {
    expect(isInScope('agent-tasks/a.ts', ['agent-tasks/'])).toBe(true);
    expect(isInScope('agent-tasks/x/y/z.ts', ['agent-tasks/'])).toBe(true);
  });

  it('does not match a sibling folder that only shares the prefix text', () => {
    expect(isInScope('agent-tasks-old/a.ts', ['agent-tasks'])).toBe(false);
    expect(isInScope('agent-tasks-old/a.ts', ['agent-tasks/'])).toBe(false);
  });

  it('ignores a leading slash as written in the seed ("/agent-tasks/")', () => {
    expect(isInScope('agent-tasks/a.ts', ['/agent-tasks/'])).toBe(true);
  });

  it('keeps a file renamed out of the scope in scope', () => {
    const moved = prFile('elsewhere/a.ts', patch, {
      status: 'renamed',
      previousFilename: 'agent-tasks/a.ts',
    });

    const selection = selectFiles([moved], ['agent-tasks/']);

    expect(selection.reviewable.map((file) => file.filename)).toEqual(['elsewhere/a.ts']);
  });
});

describe('ignore rules', () => {
  it.each([
    'package-lock.json',
    'web/yarn.lock',
    'pnpm-lock.yaml',
    'Cargo.lock',
    'poetry.lock',
    'go.sum',
    'Gemfile.lock',
    'composer.lock',
  ])('skips the lock file %s', (path) => {
    expect(ignoreReason(prFile(path, patch))).toBe('lock_file');
  });

  it.each([
    'dist/index.js',
    'packages/ui/build/main.js',
    'static/app.min.js',
    'static/app.js.map',
    'src/__snapshots__/view.test.ts.snap',
    'api/service.pb.go',
    'src/client.generated.ts',
  ])('skips the generated file %s', (path) => {
    expect(ignoreReason(prFile(path, patch))).toBe('generated');
  });

  it.each(['vendor/github.com/x/y.go', 'web/node_modules/left-pad/index.js', 'third_party/zlib/zlib.c'])(
    'skips the vendored file %s',
    (path) => {
      expect(ignoreReason(prFile(path, patch))).toBe('vendored');
    },
  );

  it('skips a binary by its extension', () => {
    expect(ignoreReason(prFile('assets/logo.png', undefined, { status: 'added' }))).toBe('binary');
  });

  it('skips an added file without a patch or changed lines as binary', () => {
    expect(ignoreReason(prFile('tools/blob', undefined, { status: 'added' }))).toBe('binary');
  });

  it('says when GitHub sent no patch because the diff is too large', () => {
    const huge = prFile('agent-tasks/data.ts', undefined, { additions: 40_000, changes: 40_000 });

    expect(ignoreReason(huge)).toBe('no_patch');
  });

  it('skips a pure rename as having no content changes', () => {
    const renamed = prFile('b.ts', undefined, { status: 'renamed', previousFilename: 'a.ts' });

    expect(ignoreReason(renamed)).toBe('no_changes');
  });

  it('skips deleted files', () => {
    expect(ignoreReason(prFile('old.ts', ['-gone'], { status: 'removed' }))).toBe('deleted');
  });

  it('reviews an ordinary source file', () => {
    expect(ignoreReason(prFile('src/builder.ts', patch))).toBeUndefined();
  });

  it('accounts for every file: reviewable, skipped with a reason, or out of scope', () => {
    const files = [
      prFile('agent-tasks/a.ts', patch),
      prFile('agent-tasks/yarn.lock', patch),
      prFile('agent-tasks/dist/a.js', patch),
      prFile('src/other.ts', patch),
    ];

    const selection = selectFiles(files, ['agent-tasks/']);

    expect(selection.reviewable.map((file) => file.filename)).toEqual(['agent-tasks/a.ts']);
    expect(selection.skipped).toEqual([
      { path: 'agent-tasks/yarn.lock', reason: 'lock_file' },
      { path: 'agent-tasks/dist/a.js', reason: 'generated' },
    ]);
    expect(selection.outOfScope).toEqual(['src/other.ts']);
  });
});
