/**
 * Path globs for per-repository review rules, matched without regular expressions: a glob is compiled to a small
 * automaton and every path is run through it once, carrying the set of live states (Thompson's construction). Time is
 * at most path length × glob length whatever the glob, so a hostile glob such as `*a*a*a*a*a*b` cannot stall a review
 * the way a backtracking matcher (or a glob compiled to a regex) can.
 *
 * Syntax (the familiar subset of gitignore / minimatch):
 * - `*` any run of characters within one folder name, `?` one character (never `/`);
 * - `**` as a whole path segment: any number of folders, e.g. `src/**` (everything under src) or `docs/**` followed
 *   by `/*.md` (Markdown files at any depth under docs);
 * - `[abc]`, `[a-z]`, `[!a-z]` one character of (or not of) a set;
 * - `{a,b,c}` alternatives (not nested);
 * - a glob without `/` matches a file name in any folder (`*.md`); a trailing `/` means a folder and all below it;
 *   a leading `/` anchors at the repository root (and is otherwise ignored).
 */

/** The longest glob accepted (characters). */
export const MAX_GLOB_CHARS = 200;
/** The most alternatives one glob's `{...}` groups may expand to. */
export const MAX_GLOB_ALTERNATIVES = 16;

type Token =
  | { kind: 'char'; value: string }
  | { kind: 'any' }
  | { kind: 'star' }
  /** `**` as the last segment: anything, across folders. */
  | { kind: 'rest' }
  /** `**` then `/` (a whole segment): the empty string or any run of whole folders, each ending in `/`. */
  | { kind: 'folders' }
  | { kind: 'set'; negated: boolean; singles: string; ranges: Array<[string, string]> };

/** A compiled glob: `matches(path)` runs in time linear in the path. */
export interface CompiledGlob {
  source: string;
  matches(path: string): boolean;
}

/** A glob that cannot be compiled; `message` says why, for the review body. */
export class GlobError extends Error {
  constructor(
    readonly glob: string,
    message: string,
  ) {
    super(message);
    this.name = 'GlobError';
  }
}

/**
 * Compiles one glob (see the module comment for the syntax).
 * @throws GlobError when it is empty, too long, has an unclosed `[` or `{`, nested braces or too many alternatives
 */
export function compileGlob(glob: string): CompiledGlob {
  if (glob.trim() === '') throw new GlobError(glob, 'is empty');
  if (glob.length > MAX_GLOB_CHARS) throw new GlobError(glob, `is longer than ${MAX_GLOB_CHARS} characters`);
  const programs = expandBraces(glob).map((alternative) => tokenize(normalise(alternative), glob));
  return {
    source: glob,
    matches: (path) => programs.some((tokens) => run(tokens, path)),
  };
}

/** True when `path` matches any of `globs`. */
export function matchesAny(globs: CompiledGlob[], path: string): boolean {
  return globs.some((glob) => glob.matches(path));
}

/** Anchors the glob: no `/` → any folder; trailing `/` → everything below; leading `/` → the root. */
function normalise(glob: string): string {
  let pattern = glob;
  if (pattern.endsWith('/')) pattern = `${pattern}**`;
  if (pattern.startsWith('/')) return pattern.replace(/^\/+/, '');
  return pattern.includes('/') ? pattern : `**/${pattern}`;
}

/** `{a,b}` groups expanded left to right; a literal `{` needs its `}` (nested groups are refused). */
function expandBraces(glob: string): string[] {
  let results = [''];
  let index = 0;
  while (index < glob.length) {
    const open = glob.indexOf('{', index);
    if (open === -1) {
      results = results.map((prefix) => prefix + glob.slice(index));
      break;
    }
    const close = glob.indexOf('}', open);
    if (close === -1) throw new GlobError(glob, 'has a "{" without its "}"');
    const inner = glob.slice(open + 1, close);
    if (inner.includes('{')) throw new GlobError(glob, 'has nested "{...}" groups');
    const options = inner.split(',');
    const before = glob.slice(index, open);
    const next: string[] = [];
    for (const prefix of results) for (const option of options) next.push(prefix + before + option);
    if (next.length > MAX_GLOB_ALTERNATIVES) {
      throw new GlobError(glob, `expands to more than ${MAX_GLOB_ALTERNATIVES} alternatives`);
    }
    results = next;
    index = close + 1;
  }
  return results;
}

function tokenize(pattern: string, source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const char = pattern[i] as string;
    if (char === '*') {
      let end = i;
      while (pattern[end] === '*') end += 1;
      const wholeSegment =
        (i === 0 || pattern[i - 1] === '/') && (end === pattern.length || pattern[end] === '/');
      if (end - i >= 2 && wholeSegment) {
        if (end === pattern.length) tokens.push({ kind: 'rest' });
        else {
          tokens.push({ kind: 'folders' });
          end += 1; // the `/` belongs to the folders token
        }
      } else if (tokens.at(-1)?.kind !== 'star') {
        tokens.push({ kind: 'star' });
      }
      i = end;
    } else if (char === '?') {
      tokens.push({ kind: 'any' });
      i += 1;
    } else if (char === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) throw new GlobError(source, 'has a "[" without its "]"');
      tokens.push(parseSet(pattern.slice(i + 1, close)));
      i = close + 1;
    } else {
      tokens.push({ kind: 'char', value: char });
      i += 1;
    }
  }
  return tokens;
}

function parseSet(body: string): Token {
  const negated = body.startsWith('!') || body.startsWith('^');
  const chars = [...(negated ? body.slice(1) : body)];
  let singles = '';
  const ranges: Array<[string, string]> = [];
  for (let i = 0; i < chars.length; i += 1) {
    const from = chars[i] as string;
    const to = chars[i + 2];
    if (chars[i + 1] === '-' && to !== undefined) {
      ranges.push([from, to]);
      i += 2;
    } else singles += from;
  }
  return { kind: 'set', negated, singles, ranges };
}

function inSet(token: Extract<Token, { kind: 'set' }>, char: string): boolean {
  if (char === '/') return false;
  const found = token.singles.includes(char) || token.ranges.some(([from, to]) => char >= from && char <= to);
  return found !== token.negated;
}

/**
 * Runs the automaton. State `i` means "tokens before i are matched"; state `n + 1 + i` is the inside of a `folders`
 * token `i` (part-way through a folder name, so its end must still come). Each step touches each state at most once.
 */
function run(tokens: Token[], path: string): boolean {
  const n = tokens.length;
  let current = new Uint8Array(2 * n + 2);
  let next = new Uint8Array(2 * n + 2);
  const add = (set: Uint8Array, state: number) => {
    // Epsilon moves: a `star`, `rest` or `folders` token may match the empty string.
    let s = state;
    while (s <= n && set[s] === 0) {
      set[s] = 1;
      const kind = tokens[s]?.kind;
      if (kind === 'star' || kind === 'rest' || kind === 'folders') s += 1;
      else break;
    }
  };
  add(current, 0);
  for (const char of path) {
    next.fill(0);
    let live = false;
    for (let s = 0; s < n; s += 1) {
      const token = tokens[s] as Token;
      if (current[s] === 1) {
        switch (token.kind) {
          case 'char':
            if (token.value === char) add(next, s + 1);
            break;
          case 'any':
            if (char !== '/') add(next, s + 1);
            break;
          case 'set':
            if (inSet(token, char)) add(next, s + 1);
            break;
          case 'star':
            if (char !== '/') add(next, s);
            break;
          case 'rest':
            add(next, s);
            break;
          case 'folders':
            if (char === '/') add(next, s);
            else next[n + 1 + s] = 1;
            break;
        }
      }
      // Inside a folder name of a `folders` token: a `/` ends the folder (back at the token's start).
      if (token.kind === 'folders' && current[n + 1 + s] === 1) {
        if (char === '/') add(next, s);
        else next[n + 1 + s] = 1;
      }
    }
    for (let s = 0; s < next.length && !live; s += 1) live = next[s] === 1;
    if (!live) return false;
    [current, next] = [next, current];
  }
  return current[n] === 1;
}
