import type { Side } from './ports';

/** One line of a hunk with its line numbers: `oldLine` for deleted and context lines, `newLine` for added and context. */
export interface DiffLine {
  kind: 'add' | 'del' | 'context';
  oldLine: number | null;
  newLine: number | null;
  text: string;
}

/** One `@@` hunk of a file's patch; `index` is its position in the file (GitHub's ranges must stay within one). */
export interface Hunk {
  index: number;
  header: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

/** A patch we could not read; the file is listed as skipped rather than guessed at. */
export class DiffParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiffParseError';
  }
}

const HUNK_HEADER = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/**
 * Parses a GitHub file `patch` (the unified diff without file headers) into numbered hunks.
 * @throws DiffParseError when the text is not a unified diff
 */
export function parsePatch(patch: string): Hunk[] {
  const hunks: Hunk[] = [];
  let current: Hunk | undefined;
  let oldLine = 0;
  let newLine = 0;
  const lines = patch.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const raw of lines) {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const header = HUNK_HEADER.exec(text);
    if (header) {
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      current = { index: hunks.length, header: text, oldStart: oldLine, newStart: newLine, lines: [] };
      hunks.push(current);
      continue;
    }
    if (current === undefined) throw new DiffParseError('the patch does not start with a hunk header');
    const marker = text[0];
    if (marker === '\\') continue; // "\ No newline at end of file"
    if (marker === '+') {
      current.lines.push({ kind: 'add', oldLine: null, newLine, text: text.slice(1) });
      newLine += 1;
    } else if (marker === '-') {
      current.lines.push({ kind: 'del', oldLine, newLine: null, text: text.slice(1) });
      oldLine += 1;
    } else if (marker === ' ' || marker === undefined) {
      // An empty line is a context line whose leading space was stripped somewhere along the way.
      current.lines.push({ kind: 'context', oldLine, newLine, text: text.slice(1) });
      oldLine += 1;
      newLine += 1;
    } else {
      throw new DiffParseError(`unexpected diff line starting with "${marker}"`);
    }
  }
  return hunks;
}

/** Which hunk each commentable line belongs to, per side. */
export interface LineIndex {
  RIGHT: Map<number, number>;
  LEFT: Map<number, number>;
}

/** A line shown to the model, tagged with its hunk. */
export interface ShownLine {
  hunkIndex: number;
  line: DiffLine;
}

/**
 * The lines GitHub accepts review comments on: RIGHT = added and context lines by new number, LEFT = deleted and
 * context lines by old number.
 */
export function indexLines(lines: Iterable<ShownLine>, into: LineIndex = emptyIndex()): LineIndex {
  for (const { hunkIndex, line } of lines) {
    if (line.newLine !== null) into.RIGHT.set(line.newLine, hunkIndex);
    if (line.oldLine !== null) into.LEFT.set(line.oldLine, hunkIndex);
  }
  return into;
}

export function emptyIndex(): LineIndex {
  return { RIGHT: new Map(), LEFT: new Map() };
}

/** Every line of `hunks`, tagged. */
export function hunkLines(hunks: Hunk[]): ShownLine[] {
  return hunks.flatMap((hunk) => hunk.lines.map((line) => ({ hunkIndex: hunk.index, line })));
}

/** A comment position: one line, or a range `startLine..line` on one side. */
export interface Anchor {
  line: number;
  side: Side;
  startLine?: number;
}

export type AnchorCheck = { ok: true } | { ok: false; reason: string };

/** Whether GitHub will accept a comment at `anchor`: the line(s) are in the diff on that side, a range in one hunk. */
export function checkAnchor(index: LineIndex, anchor: Anchor): AnchorCheck {
  const lines = index[anchor.side];
  const hunk = lines.get(anchor.line);
  if (hunk === undefined)
    return { ok: false, reason: `line ${anchor.line} (${anchor.side}) is not in the diff` };
  if (anchor.startLine === undefined) return { ok: true };
  if (anchor.startLine >= anchor.line) return { ok: false, reason: 'the range must start before it ends' };
  const startHunk = lines.get(anchor.startLine);
  if (startHunk === undefined) {
    return { ok: false, reason: `line ${anchor.startLine} (${anchor.side}) is not in the diff` };
  }
  if (startHunk !== hunk) return { ok: false, reason: 'the range spans more than one hunk' };
  return { ok: true };
}

/** The digits needed for the largest line number in `lines` (one column width for a whole hunk). */
export function lineNumberWidth(lines: DiffLine[]): number {
  // A loop, not Math.max(...spread): a huge hunk would overflow the argument limit.
  let highest = 1;
  for (const line of lines) highest = Math.max(highest, line.oldLine ?? 0, line.newLine ?? 0);
  return String(highest).length;
}

/**
 * Renders hunk lines for the model with both line numbers, so it can name exact anchors:
 * `old new ±code`, e.g. `10 11 +const b = 2;` (a blank column where a side has no line).
 */
export function renderLines(lines: DiffLine[], width = lineNumberWidth(lines)): string {
  const column = (value: number | null) =>
    value === null ? ' '.repeat(width) : String(value).padStart(width);
  const sign = { add: '+', del: '-', context: ' ' } as const;
  return lines
    .map((line) => `${column(line.oldLine)} ${column(line.newLine)} ${sign[line.kind]}${line.text}`)
    .join('\n');
}
