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
  const programs = expandBraces(glob).map((alternative) => toProgram(tokenize(normalise(alternative), glob)));
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

const SLASH = 47;
const CHAR = 0;
const ANY = 1;
const SET = 2;
const STAR = 3;
const REST = 4;
const FOLDERS = 5;
const KIND_CODES: Record<Token['kind'], number> = {
  char: CHAR,
  any: ANY,
  set: SET,
  star: STAR,
  rest: REST,
  folders: FOLDERS,
};

/** The tokens as flat arrays: the matching loop then reads numbers only (one shape, no string compares). */
interface Program {
  length: number;
  kinds: Uint8Array;
  /** The character code of a `char` token. */
  codes: Int32Array;
  sets: Array<Extract<Token, { kind: 'set' }> | undefined>;
}

function toProgram(tokens: Token[]): Program {
  return {
    length: tokens.length,
    kinds: Uint8Array.from(tokens, (token) => KIND_CODES[token.kind]),
    codes: Int32Array.from(tokens, (token) => (token.kind === 'char' ? token.value.charCodeAt(0) : -1)),
    sets: tokens.map((token) => (token.kind === 'set' ? token : undefined)),
  };
}

/**
 * Runs the automaton over two flat state sets. State `i` means "tokens before i are matched"; state `n + 1 + i` is the
 * inside of a `folders` token `i` (part-way through a folder name, so its end must still come). A step is one pass
 * over the states: at most (2 × tokens + 2) × path length work, whatever the glob.
 */
function run(program: Program, path: string): boolean {
  const { length: n, kinds, codes, sets } = program;
  const size = 2 * n + 2;
  // Epsilon moves: `star`, `rest` and `folders` may match nothing, so entering state s enters s..reach[s] at once.
  const reach = new Int32Array(n + 1);
  for (let s = n; s >= 0; s -= 1) {
    const kind = s < n ? kinds[s] : CHAR;
    reach[s] = kind === STAR || kind === REST || kind === FOLDERS ? (reach[s + 1] as number) : s;
  }
  let current = new Uint8Array(size);
  let next = new Uint8Array(size);
  for (let t = 0; t <= (reach[0] as number); t += 1) current[t] = 1;
  for (let index = 0; index < path.length; index += 1) {
    const code = path.charCodeAt(index);
    next.fill(0);
    let live = false;
    for (let state = 0; state < n; state += 1) {
      let target = -1;
      let inside = false;
      if (current[state] === 1) {
        switch (kinds[state]) {
          case CHAR:
            if (codes[state] === code) target = state + 1;
            break;
          case ANY:
            if (code !== SLASH) target = state + 1;
            break;
          case SET:
            if (inSet(sets[state] as Extract<Token, { kind: 'set' }>, path[index] as string))
              target = state + 1;
            break;
          case STAR:
            if (code !== SLASH) target = state;
            break;
          case REST:
            target = state;
            break;
          case FOLDERS:
            if (code === SLASH) target = state;
            else inside = true;
            break;
        }
      }
      // Inside a folder name of a `folders` token: a `/` ends the folder (back at the token's start).
      if (current[n + 1 + state] === 1) {
        if (code === SLASH) target = state;
        else inside = true;
      }
      if (inside) {
        next[n + 1 + state] = 1;
        live = true;
      }
      if (target >= 0) {
        const end = reach[target] as number;
        for (let t = target; t <= end; t += 1) next[t] = 1;
        live = true;
      }
    }
    if (!live) return false;
    [current, next] = [next, current];
  }
  return current[n] === 1;
}
