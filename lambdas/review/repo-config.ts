import { parseDocument } from 'yaml';
import * as z from 'zod';
import { AUTO_REVIEW_ACTIONS, type AutoReviewAction } from '../autoreview/ports';
import { SEVERITIES } from './findings';
import { type CompiledGlob, compileGlob, GlobError } from './glob';
import type { RepoFileRead, ReviewGitHub } from './ports';
import { describePathRules, type PathRules } from './scope';

/** Where a repository keeps its review rules, read from the pull request's base commit (never its head). */
export const REPO_CONFIG_PATH = '.github/coding-agent.yml';
/** Larger files are not parsed (a review rule file is a few hundred bytes). */
export const MAX_REPO_CONFIG_BYTES = 16 * 1024;
/** The repository owner's extra review instructions: at most this many characters. */
export const MAX_INSTRUCTIONS_CHARS = 2000;
const MAX_GLOBS = 50;
/** Aliases a file may expand: enough for sharing a glob list, far from an alias bomb. */
const MAX_ALIAS_COUNT = 20;

const lower = (value: unknown) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

const globSchema = z.string('must be a glob string').superRefine((glob, context) => {
  try {
    compileGlob(glob);
  } catch (error) {
    if (!(error instanceof GlobError)) throw error;
    context.addIssue({ code: 'custom', message: `glob ${JSON.stringify(glob)} ${error.message}` });
  }
});

const globList = z
  .array(globSchema, 'must be a list of globs')
  .max(MAX_GLOBS, `may hold at most ${MAX_GLOBS} globs`);

/**
 * `.github/coding-agent.yml`. Unknown keys are errors (a misspelt `exclued:` must not be silently ignored). Every
 * key is optional; an absent key means the operator's default.
 */
export const repoConfigSchema = z.strictObject({
  /** Review only paths matching one of these globs (replaces the operator's REVIEW_PATH_PREFIXES for this repo). */
  include: globList.optional(),
  /** Never review paths matching one of these globs (checked after `include`). */
  exclude: globList.optional(),
  /** Findings less severe than this are not posted (counted in the review body). */
  severity_threshold: z
    .preprocess(lower, z.enum(SEVERITIES, `must be one of ${SEVERITIES.join(', ')}`))
    .optional(),
  /** The repository owner's extra review guidance, shown to the model in its own labelled section. */
  instructions: z
    .string('must be text')
    .max(MAX_INSTRUCTIONS_CHARS, `must be at most ${MAX_INSTRUCTIONS_CHARS} characters`)
    .optional(),
  /** Review at most this many files of a pull request (the rest are listed as skipped). */
  max_files: z
    .number('must be a whole number')
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(3000, 'must be at most 3000')
    .optional(),
  auto_review: z
    .strictObject({
      /** The `pull_request` actions that start an automatic review (default: all four). */
      events: z.array(
        z.enum(AUTO_REVIEW_ACTIONS, `must be one of ${AUTO_REVIEW_ACTIONS.join(', ')}`),
        'must be a list of events',
      ),
    })
    .optional(),
});

export type RepoConfig = z.infer<typeof repoConfigSchema>;

/** What reading the rules found. `problems` (for the review body) is non-empty only when `status` is invalid/unreadable. */
export interface RepoConfigLoad {
  /** `missing`: no file, defaults silently; `invalid` / `unreadable`: reported, defaults used. */
  status: 'loaded' | 'missing' | 'invalid' | 'unreadable';
  config: RepoConfig;
  problems: string[];
}

const DEFAULTS: RepoConfigLoad = { status: 'missing', config: {}, problems: [] };

/**
 * Reads `.github/coding-agent.yml` at the pull request's **base** commit: the rules a PR is reviewed under are the
 * ones already on the branch it targets, so a PR cannot change its own rules. No file → defaults, silently; a file
 * that is too large, not YAML or not valid → defaults, with the problems to report in the review body.
 * @throws what the GitHub port throws besides its `missing` answer (consent, credentials) — a read failure that is
 *   not about the caller's access is reported as `unreadable` instead
 */
export async function loadRepoConfig(
  github: Pick<ReviewGitHub, 'readRepoFile'>,
  repo: { owner: string; repo: string },
  baseSha: string,
): Promise<RepoConfigLoad> {
  let read: RepoFileRead;
  try {
    read = await github.readRepoFile(repo, REPO_CONFIG_PATH, {
      ref: baseSha,
      maxBytes: MAX_REPO_CONFIG_BYTES,
    });
  } catch (error) {
    const status = (error as { status?: unknown } | undefined)?.status;
    // Access problems (revoked token, consent) stop the review as any other GitHub call would.
    if (typeof status !== 'number' || status === 401) throw error;
    return { ...DEFAULTS, status: 'unreadable', problems: [`GitHub answered ${status} when it was read`] };
  }
  if (read.kind === 'missing') return DEFAULTS;
  if (read.kind === 'too_large') {
    return {
      ...DEFAULTS,
      status: 'invalid',
      problems: [`the file is ${read.bytes} bytes, over the ${MAX_REPO_CONFIG_BYTES}-byte limit`],
    };
  }
  return parseRepoConfig(read.text);
}

/**
 * Parses and validates the file's text: YAML (aliases capped, duplicate keys refused), then the zod schema. Any
 * problem → `invalid` with one line per problem naming the key, and the defaults.
 */
export function parseRepoConfig(text: string): RepoConfigLoad {
  if (Buffer.byteLength(text, 'utf8') > MAX_REPO_CONFIG_BYTES) {
    return {
      ...DEFAULTS,
      status: 'invalid',
      problems: [`the file is over the ${MAX_REPO_CONFIG_BYTES}-byte limit`],
    };
  }
  let value: unknown;
  try {
    const document = parseDocument(text, { uniqueKeys: true });
    if (document.errors.length > 0) {
      return { ...DEFAULTS, status: 'invalid', problems: document.errors.slice(0, 5).map(yamlProblem) };
    }
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml throws (rather than reporting) when aliases expand past maxAliasCount: a resource-exhaustion guard.
    return {
      ...DEFAULTS,
      status: 'invalid',
      problems: [`not usable YAML: ${oneLine((error as Error).message)}`],
    };
  }
  // An empty file (or only comments) is a valid file that sets nothing.
  const result = repoConfigSchema.safeParse(value ?? {});
  if (result.success) return { status: 'loaded', config: result.data, problems: [] };
  return {
    ...DEFAULTS,
    status: 'invalid',
    problems: result.error.issues.slice(0, 10).map((issue) => {
      const key = issue.path.length === 0 ? '(top level)' : formatPath(issue.path);
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`
          : issue.code === 'invalid_type' && issue.path.length === 0
            ? 'must be a mapping of keys (include, exclude, severity_threshold, instructions, max_files, auto_review)'
            : issue.message;
      return `${key}: ${message}`;
    }),
  };
}

/**
 * Whether a `pull_request` action starts an automatic review under these rules (the webhook worker asks before
 * queueing or running a review). Without `auto_review.events` every handled action does.
 */
export function autoReviewEnabledFor(config: RepoConfig, action: AutoReviewAction): boolean {
  return (config.auto_review?.events ?? AUTO_REVIEW_ACTIONS).includes(action);
}

/** The repository's path rules, or undefined when it sets neither `include` nor `exclude` (the operator's scope applies). */
export function pathRulesFor(config: RepoConfig): PathRules | undefined {
  if (config.include === undefined && config.exclude === undefined) return undefined;
  const compile = (globs: string[] | undefined): CompiledGlob[] => (globs ?? []).map(compileGlob);
  return { include: compile(config.include), exclude: compile(config.exclude) };
}

/** `include[2]`, `auto_review.events[0]`. */
function formatPath(path: PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function yamlProblem(error: { message: string; linePos?: Array<{ line: number; col: number }> }): string {
  const at = error.linePos?.[0];
  // The pretty message quotes the offending lines after its first line: only the first line is kept.
  return `${at ? `line ${at.line}: ` : ''}not valid YAML: ${oneLine(error.message.split('\n')[0] ?? '')}`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** The path scope one review uses, and how it is described to people. */
export interface ResolvedScope {
  pathPrefixes: string[];
  /** The repository's globs, when they decide the scope. */
  rules?: PathRules;
  /** What "under …" names in the plan and the body: the prefixes, or the globs (excludes with "!"). */
  label: string[];
  maxFiles?: number;
}

/**
 * Which scope applies: a scope the user chose for this review in chat wins, then the repository's include/exclude
 * globs, then the operator's REVIEW_PATH_PREFIXES. The repository's `max_files` applies in every case.
 */
export function resolveScope(
  chosen: string[] | undefined,
  config: RepoConfig,
  operatorPrefixes: string[],
): ResolvedScope {
  const maxFiles = config.max_files;
  if (chosen !== undefined) return { pathPrefixes: chosen, label: chosen, maxFiles };
  const rules = pathRulesFor(config);
  if (rules === undefined) return { pathPrefixes: operatorPrefixes, label: operatorPrefixes, maxFiles };
  return { pathPrefixes: [], rules, label: describePathRules(rules), maxFiles };
}
