import { createHash } from 'node:crypto';
import type { GitHubData, StandinCommit, StandinPull, StandinPullFile } from './data';

/**
 * The GitHub stand-in's commit history: commits with whole-file trees, so compares and pushes produce real unified
 * diffs. Pull requests seeded with patches only (the sample data) get a history on first use: their base and head
 * trees are rebuilt from the patches, with placeholder lines where the patch shows nothing (identical on both sides,
 * so the diff between them is the seeded one).
 */

/** Names one pull request: the record itself, or its repo ("owner/name") and number. */
export type PullSelector = StandinPull | { repo: string; number: number };

/** A file's new content in a push; `null` deletes it. */
export type PushedFiles = Record<string, string | null>;

/** Lines of context around each change, as GitHub shows. */
const CONTEXT = 3;
/** Content of a binary file in a tree: never diffed, listed without a patch. */
const BINARY_PREFIX = '\u0000binary:';

let sequence = 0;

function newSha(parts: string[]): string {
  sequence += 1;
  return createHash('sha1')
    .update([...parts, String(sequence), String(Date.now())].join('\n'))
    .digest('hex');
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export function findPull(state: GitHubData, selector: PullSelector): StandinPull {
  const pull = state.pulls.find((item) => item.repo === selector.repo && item.number === selector.number);
  if (!pull) throw new Error(`The GitHub stand-in has no pull request ${selector.repo}#${selector.number}`);
  return pull;
}

function commitsOf(state: GitHubData): StandinCommit[] {
  state.commits ??= [];
  return state.commits;
}

/** The commit `sha` of `repo` (a full SHA, or a prefix of at least 7 characters), or undefined. */
export function findCommit(state: GitHubData, repo: string, sha: string): StandinCommit | undefined {
  const commits = commitsOf(state).filter((commit) => commit.repo === repo);
  if (sha.length === 40) return commits.find((commit) => commit.sha === sha);
  if (sha.length < 7) return undefined;
  const matches = commits.filter((commit) => commit.sha.startsWith(sha));
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * Gives every pull request of `repo` a history when it has none yet: a base commit and a head commit whose trees
 * reproduce its seeded files. Called before a compare or a push reads the history.
 */
export function ensureHistories(state: GitHubData, repo: string): void {
  for (const pull of state.pulls) {
    if (pull.repo === repo) ensureHistory(state, pull);
  }
}

function ensureHistory(state: GitHubData, pull: StandinPull): void {
  if (findCommit(state, pull.repo, pull.head.sha) !== undefined) return;
  const rebuilt = rebuildTrees(pull.files);
  const commits = commitsOf(state);
  let base = findCommit(state, pull.repo, pull.base.sha);
  if (base === undefined) {
    base = {
      repo: pull.repo,
      sha: pull.base.sha,
      parents: [],
      message: `Tip of ${pull.base.ref}`,
      author: pull.user,
      date: pull.created_at,
      tree: rebuilt.base,
    };
    commits.push(base);
  }
  // A base shared with another pull gains the files only this pull shows.
  for (const [path, content] of Object.entries(rebuilt.base)) base.tree[path] ??= content;
  // Files the base commit has but this pull does not touch stay as they are.
  const tree = { ...base.tree, ...rebuilt.head };
  for (const file of pull.files) if (file.status === 'removed') delete tree[file.filename];
  commits.push({
    repo: pull.repo,
    sha: pull.head.sha,
    parents: [base.sha],
    message: pull.title,
    author: pull.user,
    date: pull.created_at,
    tree,
  });
}

/**
 * Base and head trees that reproduce `files`: the lines each patch shows, and for the lines it does not, placeholders
 * that are the same on both sides.
 */
export function rebuildTrees(files: StandinPullFile[]): {
  base: Record<string, string>;
  head: Record<string, string>;
} {
  const base: Record<string, string> = {};
  const head: Record<string, string> = {};
  for (const file of files) {
    if (file.patch === undefined) {
      const binary = `${BINARY_PREFIX}${file.filename}`;
      if (file.status !== 'added') base[file.previous_filename ?? file.filename] = binary;
      if (file.status !== 'removed') head[file.filename] = binary;
      continue;
    }
    const sides = rebuildSides(file.patch, file.filename);
    if (file.status !== 'added') base[file.previous_filename ?? file.filename] = sides.base.join('\n');
    if (file.status !== 'removed') head[file.filename] = sides.head.join('\n');
  }
  return { base, head };
}

function rebuildSides(patch: string, path: string): { base: string[]; head: string[] } {
  const base: string[] = [];
  const head: string[] = [];
  let gap = 0;
  for (const raw of patch.split('\n')) {
    const header = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (header) {
      gap += 1;
      const oldStart = Number(header[1]);
      const newStart = Number(header[2]);
      // The unchanged lines before the hunk: the same text on both sides (as many as each side needs).
      let index = 0;
      while (base.length < oldStart - 1 || head.length < newStart - 1) {
        const filler = `(unchanged line ${gap}.${index} of ${path})`;
        if (base.length < oldStart - 1) base.push(filler);
        if (head.length < newStart - 1) head.push(filler);
        index += 1;
      }
      continue;
    }
    if (raw.startsWith('\\')) continue;
    const marker = raw[0];
    const text = raw.slice(1);
    if (marker === '+') head.push(text);
    else if (marker === '-') base.push(text);
    else {
      base.push(text);
      head.push(text);
    }
  }
  return { base, head };
}

/** Whether `ancestor` is `descendant` or one of its ancestors. */
export function isAncestor(state: GitHubData, repo: string, ancestor: string, descendant: string): boolean {
  return ancestorsOf(state, repo, descendant).has(ancestor);
}

/** `sha` and every commit reachable from it through parents, nearest first. */
function ancestorsOf(state: GitHubData, repo: string, sha: string): Set<string> {
  const seen = new Set<string>();
  const queue = [sha];
  while (queue.length > 0) {
    const next = queue.shift() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(findCommit(state, repo, next)?.parents ?? []));
  }
  return seen;
}

/** What GET /repos/{o}/{r}/compare/{base}...{head} reports. */
export interface Comparison {
  status: 'ahead' | 'behind' | 'identical' | 'diverged';
  base: StandinCommit;
  mergeBase: StandinCommit;
  /** Commits reachable from head but not from base, oldest first. */
  commits: StandinCommit[];
  behindBy: number;
  /** The changes from the merge base to head (three-dot semantics). */
  files: StandinPullFile[];
}

/** Compares two commits of one repo the way GitHub does (`git log base..head`, diff from the merge base). */
export function compare(
  state: GitHubData,
  repo: string,
  base: StandinCommit,
  head: StandinCommit,
): Comparison {
  const fromBase = ancestorsOf(state, repo, base.sha);
  const fromHead = ancestorsOf(state, repo, head.sha);
  // Nearest first, reversed: oldest first, as GitHub lists them (dates tie within a second).
  const ahead = [...fromHead]
    .filter((sha) => !fromBase.has(sha))
    .flatMap((sha) => findCommit(state, repo, sha) ?? [])
    .reverse();
  const behindBy = [...fromBase].filter((sha) => !fromHead.has(sha)).length;
  // The nearest common ancestor: walk back from head breadth first.
  let mergeBase = base;
  const queue = [head.sha];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const next = queue.shift() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    if (fromBase.has(next)) {
      mergeBase = findCommit(state, repo, next) ?? base;
      break;
    }
    queue.push(...(findCommit(state, repo, next)?.parents ?? []));
  }
  const status =
    base.sha === head.sha
      ? 'identical'
      : fromHead.has(base.sha)
        ? 'ahead'
        : fromBase.has(head.sha)
          ? 'behind'
          : 'diverged';
  return { status, base, mergeBase, commits: ahead, behindBy, files: diffTrees(mergeBase.tree, head.tree) };
}

/**
 * Pushes one commit on top of the pull request's head (a plain `git push`): `files` are the new contents of the
 * files it changes (`null` deletes one). The pull's head, commit count and files follow, as on GitHub.
 */
export function pushCommit(
  state: GitHubData,
  selector: PullSelector,
  files: PushedFiles,
  message = 'Update the pull request',
): StandinCommit {
  const pull = findPull(state, selector);
  ensureHistories(state, pull.repo);
  const head = findCommit(state, pull.repo, pull.head.sha) as StandinCommit;
  return advance(state, pull, [head.sha], applyFiles(head.tree, files), message, pull.commits + 1);
}

/**
 * Force-pushes the pull request's branch: one new commit straight on the base, with the current head's tree changed
 * by `files` (a squash or rebase). The old head is no longer reachable from the new one.
 */
export function forcePush(
  state: GitHubData,
  selector: PullSelector,
  files: PushedFiles,
  message = 'Rewrite the pull request',
): StandinCommit {
  const pull = findPull(state, selector);
  ensureHistories(state, pull.repo);
  const head = findCommit(state, pull.repo, pull.head.sha) as StandinCommit;
  return advance(state, pull, [pull.base.sha], applyFiles(head.tree, files), message, 1);
}

function advance(
  state: GitHubData,
  pull: StandinPull,
  parents: string[],
  tree: Record<string, string>,
  message: string,
  commitCount: number,
): StandinCommit {
  const date = now();
  const commit: StandinCommit = {
    repo: pull.repo,
    sha: newSha([pull.repo, ...parents, message]),
    parents,
    message,
    author: pull.user,
    date,
    tree,
  };
  commitsOf(state).push(commit);
  const base = findCommit(state, pull.repo, pull.base.sha) as StandinCommit;
  const before = findCommit(state, pull.repo, pull.head.sha) as StandinCommit;
  // Files the push did not change keep their entries (seeded patches stay exactly as seeded).
  const unchanged = new Map(
    pull.files
      .filter((file) => before.tree[file.filename] === tree[file.filename])
      .map((file) => [file.filename, file]),
  );
  pull.files = diffTrees(base.tree, tree).map((file) => unchanged.get(file.filename) ?? file);
  pull.head = { ...pull.head, sha: commit.sha };
  pull.commits = commitCount;
  pull.updated_at = date;
  const repo = state.repos.find((item) => `${item.owner}/${item.name}` === pull.repo);
  if (repo) {
    repo.branches[pull.head.ref] = commit.sha;
    repo.pushed_at = date;
  }
  return commit;
}

function applyFiles(tree: Record<string, string>, files: PushedFiles): Record<string, string> {
  const next = { ...tree };
  for (const [path, content] of Object.entries(files)) {
    if (content === null) delete next[path];
    else next[path] = content;
  }
  return next;
}

/** The changed files between two trees, by path, with unified-diff patches (3 lines of context). */
export function diffTrees(from: Record<string, string>, to: Record<string, string>): StandinPullFile[] {
  const paths = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  const files: StandinPullFile[] = [];
  for (const path of paths) {
    const before = from[path];
    const after = to[path];
    if (before === after) continue;
    const status = before === undefined ? 'added' : after === undefined ? 'removed' : 'modified';
    if (before?.startsWith(BINARY_PREFIX) || after?.startsWith(BINARY_PREFIX)) {
      files.push({ filename: path, status, additions: 0, deletions: 0 });
      continue;
    }
    files.push({ filename: path, status, patch: unifiedPatch(lines(before), lines(after)) });
  }
  return files;
}

/** A file's lines; a final newline ends the last line rather than starting another. */
function lines(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

type Edit = { kind: ' ' | '-' | '+'; text: string; oldLine: number; newLine: number };

/** A unified diff of two line lists (an LCS diff: fine for the small files tests push). */
export function unifiedPatch(before: string[], after: string[]): string {
  const n = before.length;
  const m = after.length;
  // at(i, j): the longest common subsequence of before[i..] and after[j..].
  const table = new Int32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => table[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      table[i * (m + 1) + j] =
        before[i] === after[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      edits.push({ kind: ' ', text: before[i] as string, oldLine: i + 1, newLine: j + 1 });
      i += 1;
      j += 1;
    } else if (i < n && (j === m || at(i + 1, j) >= at(i, j + 1))) {
      // Deletions before additions, as git shows a changed line.
      edits.push({ kind: '-', text: before[i] as string, oldLine: i + 1, newLine: j + 1 });
      i += 1;
    } else {
      edits.push({ kind: '+', text: after[j] as string, oldLine: i + 1, newLine: j + 1 });
      j += 1;
    }
  }
  // Group changes with their context into hunks; changes closer than 2 * CONTEXT lines share one.
  const hunks: Edit[][] = [];
  let current: Edit[] = [];
  let lastChange = -Infinity;
  edits.forEach((edit, index) => {
    if (edit.kind === ' ') return;
    const start = Math.max(0, index - CONTEXT);
    if (current.length > 0 && start <= lastChange + CONTEXT + 1) {
      current.push(...edits.slice(lastChange + 1, index + 1));
    } else {
      if (current.length > 0) {
        current.push(...edits.slice(lastChange + 1, Math.min(edits.length, lastChange + 1 + CONTEXT)));
        hunks.push(current);
      }
      current = edits.slice(start, index + 1);
    }
    lastChange = index;
  });
  if (current.length > 0) {
    current.push(...edits.slice(lastChange + 1, Math.min(edits.length, lastChange + 1 + CONTEXT)));
    hunks.push(current);
  }
  return hunks
    .map((hunk) => {
      const olds = hunk.filter((edit) => edit.kind !== '+');
      const news = hunk.filter((edit) => edit.kind !== '-');
      const first = hunk[0] as Edit;
      const oldStart = olds.length === 0 ? first.oldLine - 1 : (olds[0] as Edit).oldLine;
      const newStart = news.length === 0 ? first.newLine - 1 : (news[0] as Edit).newLine;
      const header = `@@ -${oldStart},${olds.length} +${newStart},${news.length} @@`;
      return [header, ...hunk.map((edit) => `${edit.kind}${edit.text}`)].join('\n');
    })
    .join('\n');
}
