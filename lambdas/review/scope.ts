import { type CompiledGlob, matchesAny } from './glob';
import type { PullRequestFile } from './ports';

/** Why an in-scope file was not reviewed. Every in-scope file is either reviewed or carries one of these. */
export type SkipReason =
  | 'lock_file'
  | 'generated'
  | 'vendored'
  | 'binary'
  | 'deleted'
  | 'no_changes'
  | 'no_patch'
  | 'unparseable_diff'
  | 'review_limit'
  | 'max_files';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
}

/** Short human labels (singular, plural) for summaries and the review body. */
const LABELS: Record<SkipReason, [string, string]> = {
  lock_file: ['lock file', 'lock files'],
  generated: ['generated file', 'generated files'],
  vendored: ['vendored file', 'vendored files'],
  binary: ['binary file', 'binary files'],
  deleted: ['deleted file', 'deleted files'],
  no_changes: ['file without content changes', 'files without content changes'],
  no_patch: [
    'file whose diff GitHub does not show (too large)',
    'files whose diff GitHub does not show (too large)',
  ],
  unparseable_diff: ['file with an unreadable diff', 'files with an unreadable diff'],
  review_limit: ['file beyond the review size limit', 'files beyond the review size limit'],
  max_files: [
    "file beyond the repository's max_files setting",
    "files beyond the repository's max_files setting",
  ],
};

/** The label for one reason, e.g. "lock file". */
export function skipLabel(reason: SkipReason, count = 1): string {
  return LABELS[reason][count === 1 ? 0 : 1];
}

/** "2 lock files, 1 generated file" (reasons in first-seen order). */
export function describeSkipped(skipped: SkippedFile[]): string {
  const counts = new Map<SkipReason, number>();
  for (const file of skipped) counts.set(file.reason, (counts.get(file.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${count} ${skipLabel(reason, count)}`).join(', ');
}

/** The PR's files sorted into what to review, what to skip (with a reason) and what lies outside the scope. */
export interface FileSelection {
  reviewable: PullRequestFile[];
  skipped: SkippedFile[];
  outOfScope: string[];
}

/** A repository's own path rules (`.github/coding-agent.yml`): they replace the path prefixes when present. */
export interface PathRules {
  /** Empty: every path. */
  include: CompiledGlob[];
  exclude: CompiledGlob[];
}

/** The globs of `rules` as people read them: includes as written, excludes with a leading "!". */
export function describePathRules(rules: PathRules): string[] {
  return [...rules.include.map((glob) => glob.source), ...rules.exclude.map((glob) => `!${glob.source}`)];
}

/**
 * Applies the path scope, then the ignore rules, to every listed file; nothing is dropped without a reason.
 * @param pathPrefixes REVIEW_PATH_PREFIXES; empty means every path
 * @param options.rules the repository's include/exclude globs: when given, they decide the scope instead of the prefixes
 * @param options.maxFiles the repository's `max_files`: reviewable files past it (in listing order) are skipped
 */
export function selectFiles(
  files: PullRequestFile[],
  pathPrefixes: string[],
  options: { rules?: PathRules; maxFiles?: number } = {},
): FileSelection {
  const { rules, maxFiles = Number.POSITIVE_INFINITY } = options;
  const matches = (path: string) =>
    rules === undefined
      ? isInScope(path, pathPrefixes)
      : (rules.include.length === 0 || matchesAny(rules.include, path)) && !matchesAny(rules.exclude, path);
  const selection: FileSelection = { reviewable: [], skipped: [], outOfScope: [] };
  for (const file of files) {
    const inScope =
      matches(file.filename) || (file.previousFilename !== undefined && matches(file.previousFilename));
    if (!inScope) {
      selection.outOfScope.push(file.filename);
      continue;
    }
    const reason =
      ignoreReason(file) ?? (selection.reviewable.length >= maxFiles ? ('max_files' as const) : undefined);
    if (reason) selection.skipped.push({ path: file.filename, reason });
    else selection.reviewable.push(file);
  }
  return selection;
}

/**
 * Whether `path` lies under one of `prefixes`. A prefix ending in "/" is a folder; one without is a folder or an exact
 * file (so "docs" matches "docs/a.md" but not "docs-old/a.md"). A leading "/" is ignored, as in the seed's "/agent-tasks/".
 */
export function isInScope(path: string, prefixes: string[]): boolean {
  if (prefixes.length === 0) return true;
  return prefixes.some((raw) => {
    const prefix = raw.replace(/^\/+/, '');
    if (prefix === '') return true;
    if (prefix.endsWith('/')) return path.startsWith(prefix);
    return path === prefix || path.startsWith(`${prefix}/`);
  });
}

const LOCK_FILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'bun.lock',
  'deno.lock',
  'cargo.lock',
  'poetry.lock',
  'pipfile.lock',
  'uv.lock',
  'pdm.lock',
  'go.sum',
  'go.work.sum',
  'gemfile.lock',
  'composer.lock',
  'podfile.lock',
  'mix.lock',
  'pubspec.lock',
  'flake.lock',
  'packages.lock.json',
  'gradle.lockfile',
  'package.resolved',
  'cartfile.resolved',
  'paket.lock',
  'conan.lock',
]);

const VENDORED_DIRS = new Set([
  'vendor',
  'node_modules',
  'third_party',
  'third-party',
  'bower_components',
  '.yarn',
]);

const GENERATED_DIRS = new Set([
  'dist',
  'build',
  'coverage',
  '.next',
  '.nuxt',
  'cdk.out',
  '__generated__',
  '__snapshots__',
  'generated',
]);

/** File-name patterns of generated output (minified bundles, source maps, protobuf/codegen output, snapshots). */
const GENERATED_NAMES = [
  /\.min\.(js|css|mjs)$/,
  /\.map$/,
  /\.generated\.[^/]+$/,
  /\.gen\.go$/,
  /\.pb\.go$/,
  /\.pb\.gw\.go$/,
  /_pb2(_grpc)?\.pyi?$/,
  /_pb\.(js|d\.ts|ts)$/,
  /\.pb\.(cc|h|swift|dart)$/,
  /\.g\.dart$/,
  /\.freezed\.dart$/,
  /\.designer\.cs$/,
  /_generated\.go$/,
  /\.snap$/,
];

const BINARY_EXTENSIONS = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'bmp',
  'ico',
  'icns',
  'tif',
  'tiff',
  'avif',
  'heic',
  'psd',
  'pdf',
  'zip',
  'gz',
  'tgz',
  'bz2',
  'xz',
  'zst',
  '7z',
  'rar',
  'tar',
  'jar',
  'war',
  'ear',
  'class',
  'so',
  'dll',
  'dylib',
  'exe',
  'bin',
  'o',
  'a',
  'lib',
  'obj',
  'pyc',
  'wasm',
  'woff',
  'woff2',
  'ttf',
  'otf',
  'eot',
  'mp3',
  'mp4',
  'm4a',
  'mov',
  'avi',
  'mkv',
  'wav',
  'ogg',
  'flac',
  'webm',
  'sqlite',
  'db',
  'parquet',
  'pkl',
  'npy',
  'onnx',
  'pt',
  'xlsx',
  'xls',
  'docx',
  'doc',
  'pptx',
  'keystore',
  'p12',
  'der',
]);

/** Why a file in scope is not worth a model's attention, or undefined when it should be reviewed. */
export function ignoreReason(file: PullRequestFile): SkipReason | undefined {
  const path = file.filename;
  const segments = path.split('/');
  const name = (segments.at(-1) ?? path).toLowerCase();
  const folders = segments.slice(0, -1);
  if (folders.some((folder) => VENDORED_DIRS.has(folder))) return 'vendored';
  if (LOCK_FILES.has(name) || name.endsWith('.lock')) return 'lock_file';
  if (folders.some((folder) => GENERATED_DIRS.has(folder)) || GENERATED_NAMES.some((re) => re.test(name))) {
    return 'generated';
  }
  const extension = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
  if (BINARY_EXTENSIONS.has(extension)) return 'binary';
  if (file.status === 'removed') return 'deleted';
  if (file.patch === undefined || file.patch === '') {
    // GitHub omits `patch` for binaries (0 changes) and for diffs too large to show (changes counted).
    if (file.changes > 0) return 'no_patch';
    return file.status === 'renamed' || file.status === 'copied' || file.status === 'unchanged'
      ? 'no_changes'
      : 'binary';
  }
  return undefined;
}
