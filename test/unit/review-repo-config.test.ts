import { describe, expect, it } from 'vitest';
import {
  autoReviewEnabledFor,
  loadRepoConfig,
  MAX_REPO_CONFIG_BYTES,
  parseRepoConfig,
  REPO_CONFIG_PATH,
  resolveScope,
} from '../../lambdas/review/repo-config';
import { selectFiles } from '../../lambdas/review/scope';
import { createFakeGitHub, prFile, serverError } from '../support/review-fakes';

const VALID = `
include: ["src/**", "lib/**"]
exclude: ["**/*.snap", "src/generated/**"]
severity_threshold: Major
instructions: |
  Pay attention to SQL built from strings.
max_files: 40
auto_review:
  events: [opened, ready_for_review]
`;

describe('parseRepoConfig', () => {
  it('reads every key of a valid file', () => {
    const load = parseRepoConfig(VALID);

    expect(load).toEqual({
      status: 'loaded',
      problems: [],
      config: {
        include: ['src/**', 'lib/**'],
        exclude: ['**/*.snap', 'src/generated/**'],
        severity_threshold: 'major',
        instructions: 'Pay attention to SQL built from strings.\n',
        max_files: 40,
        auto_review: { events: ['opened', 'ready_for_review'] },
      },
    });
  });

  it('treats an empty file (or one of comments) as setting nothing', () => {
    expect(parseRepoConfig('# rules to come\n')).toEqual({ status: 'loaded', config: {}, problems: [] });
  });

  it('reports each invalid key with why, and falls back to the defaults for the whole file', () => {
    const load = parseRepoConfig(
      'severity_threshold: urgent\nmax_files: 0\ninclude: ["src/[abc"]\nexclued: ["x"]\nauto_review:\n  events: [closed]\n',
    );

    expect(load.status).toBe('invalid');
    expect(load.config).toEqual({});
    expect(load.problems).toEqual([
      'include[0]: glob "src/[abc" has a "[" without its "]"',
      'severity_threshold: must be one of critical, major, minor, nit',
      'max_files: must be at least 1',
      'auto_review.events[0]: must be one of opened, reopened, ready_for_review, synchronize',
      '(top level): unknown key exclued',
    ]);
  });

  it('refuses instructions over 2,000 characters', () => {
    const load = parseRepoConfig(`instructions: "${'x'.repeat(2001)}"\n`);

    expect(load.problems).toEqual(['instructions: must be at most 2000 characters']);
  });

  it('reports text that is not YAML with its line', () => {
    const load = parseRepoConfig('include: [src/**\nexclude: x\n');

    expect(load.status).toBe('invalid');
    expect(load.problems[0]).toMatch(/^line \d+: not valid YAML: /);
  });

  it('reports a file that is a list rather than a mapping', () => {
    expect(parseRepoConfig('- src/**\n').problems).toEqual([
      '(top level): must be a mapping of keys (include, exclude, severity_threshold, instructions, max_files, auto_review)',
    ]);
  });

  it('refuses duplicate keys rather than silently taking the last one', () => {
    expect(parseRepoConfig('max_files: 3\nmax_files: 3000\n').status).toBe('invalid');
  });

  it('refuses a file over the size limit without parsing it', () => {
    const load = parseRepoConfig(`# ${'x'.repeat(MAX_REPO_CONFIG_BYTES)}\n`);

    expect(load.problems).toEqual([`the file is over the ${MAX_REPO_CONFIG_BYTES}-byte limit`]);
  });

  it('stops an alias bomb (billion laughs) quickly instead of expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i += 1) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const started = performance.now();

    const load = parseRepoConfig(`${levels.join('\n')}\ninclude: *i\n`);

    expect(performance.now() - started).toBeLessThan(1000);
    expect(load.status).toBe('invalid');
    expect(load.problems[0]).toMatch(/not usable YAML: .*alias/i);
  });
});

describe('loadRepoConfig', () => {
  const ref = { owner: 'octo', repo: 'widgets' };

  it('reads the file at the commit it is given, and nowhere else', async () => {
    const github = createFakeGitHub({ files: [] });
    github.repoFiles = { base: { [REPO_CONFIG_PATH]: 'max_files: 2\n' } };

    const load = await loadRepoConfig(github, ref, 'base');

    expect(load.config).toEqual({ max_files: 2 });
    expect(github.calls).toEqual([
      { method: 'readRepoFile', repo: ref, path: REPO_CONFIG_PATH, ref: 'base' },
    ]);
  });

  it('uses the defaults silently when there is no file', async () => {
    const load = await loadRepoConfig(createFakeGitHub({ files: [] }), ref, 'base');

    expect(load).toEqual({ status: 'missing', config: {}, problems: [] });
  });

  it('reports a file too large to download', async () => {
    const github = createFakeGitHub({ files: [] });
    github.repoFiles = { base: { [REPO_CONFIG_PATH]: `# ${'x'.repeat(20_000)}` } };

    const load = await loadRepoConfig(github, ref, 'base');

    expect(load.problems).toEqual([`the file is 20002 bytes, over the ${MAX_REPO_CONFIG_BYTES}-byte limit`]);
  });

  it('reports a GitHub failure as unreadable and uses the defaults', async () => {
    const github = createFakeGitHub({ files: [] });
    github.readRepoFile = async () => {
      throw serverError(502);
    };

    const load = await loadRepoConfig(github, ref, 'base');

    expect(load).toEqual({
      status: 'unreadable',
      config: {},
      problems: ['GitHub answered 502 when it was read'],
    });
  });
});

describe('autoReviewEnabledFor', () => {
  it('starts a review on every handled action by default', () => {
    expect(
      (['opened', 'reopened', 'ready_for_review', 'synchronize'] as const).map((action) =>
        autoReviewEnabledFor({}, action),
      ),
    ).toEqual([true, true, true, true]);
  });

  it('starts one only on the listed actions', () => {
    const config = { auto_review: { events: ['opened' as const] } };

    expect([autoReviewEnabledFor(config, 'opened'), autoReviewEnabledFor(config, 'synchronize')]).toEqual([
      true,
      false,
    ]);
  });
});

describe('resolveScope and selectFiles', () => {
  const files = [
    prFile('src/app.ts', ['+a']),
    prFile('src/app.test.ts.snap', ['+a']),
    prFile('src/generated/api.ts', ['+a']),
    prFile('lib/util.ts', ['+a']),
    prFile('docs/guide.md', ['+a']),
  ];

  it("replaces the operator's prefixes with the repository's globs", () => {
    const scope = resolveScope(undefined, parseRepoConfig(VALID).config, ['agent-tasks/']);

    const selection = selectFiles(files, scope.pathPrefixes, scope);

    expect(selection.reviewable.map((file) => file.filename)).toEqual(['src/app.ts', 'lib/util.ts']);
    expect(selection.outOfScope).toEqual(['src/app.test.ts.snap', 'src/generated/api.ts', 'docs/guide.md']);
    expect(scope.label).toEqual(['src/**', 'lib/**', '!**/*.snap', '!src/generated/**']);
  });

  it('excludes alone keep every other path in scope', () => {
    const scope = resolveScope(undefined, { exclude: ['docs/'] }, ['agent-tasks/']);

    expect(selectFiles(files, scope.pathPrefixes, scope).outOfScope).toEqual(['docs/guide.md']);
  });

  it("keeps the operator's prefixes when the repository sets no globs", () => {
    expect(resolveScope(undefined, { max_files: 3 }, ['agent-tasks/'])).toEqual({
      pathPrefixes: ['agent-tasks/'],
      label: ['agent-tasks/'],
      maxFiles: 3,
    });
  });

  it('lets a scope the user chose in chat win over the repository globs', () => {
    const scope = resolveScope([], parseRepoConfig(VALID).config, ['agent-tasks/']);

    expect(selectFiles(files, scope.pathPrefixes, scope).reviewable.map((file) => file.filename)).toEqual([
      'src/app.ts',
      'lib/util.ts',
      'docs/guide.md',
    ]);
  });

  it('skips reviewable files past max_files, in listing order, with a reason', () => {
    const selection = selectFiles(files, [], { maxFiles: 2 });

    expect(selection.reviewable.map((file) => file.filename)).toEqual(['src/app.ts', 'lib/util.ts']);
    expect(selection.skipped).toEqual([
      { path: 'src/app.test.ts.snap', reason: 'generated' },
      { path: 'src/generated/api.ts', reason: 'generated' },
      { path: 'docs/guide.md', reason: 'max_files' },
    ]);
  });
});
