import { createHash } from 'node:crypto';
import type { Hunk } from './diff';
import type { Side } from './ports';

/**
 * Stable fingerprints of posted findings, so a later review of the same PR never posts one again. A fingerprint
 * hashes the file path, the finding's text and the code it points at (normalised), not its line number: a finding
 * whose code moved down because lines were added above it is still recognised, and so is one whose code was only
 * re-indented. 16 hex digits (64 bits): collisions within one PR's findings are not a practical concern.
 */

/** Per path and side, the text of each diff line by its number. */
export type LineTexts = Map<string, Record<Side, Map<number, string>>>;

/** Lines of a range that go into a fingerprint (a long range is identified by its start). */
const MAX_SNIPPET_LINES = 20;

/** The text of every line the parsed hunks of `files` show, by path, side and line number. */
export function lineTexts(files: Array<{ path: string; hunks: Hunk[] }>): LineTexts {
  const texts: LineTexts = new Map();
  for (const file of files) {
    const sides = texts.get(file.path) ?? { RIGHT: new Map(), LEFT: new Map() };
    for (const hunk of file.hunks) {
      for (const line of hunk.lines) {
        if (line.newLine !== null) sides.RIGHT.set(line.newLine, line.text);
        if (line.oldLine !== null) sides.LEFT.set(line.oldLine, line.text);
      }
    }
    texts.set(file.path, sides);
  }
  return texts;
}

/** What a fingerprint is made of: a finding's place and text. */
export interface FingerprintInput {
  path: string;
  side: Side;
  line: number;
  start_line?: number;
  message: string;
}

/** The finding's fingerprint: 16 lowercase hex digits. */
export function fingerprintFinding(finding: FingerprintInput, texts: LineTexts): string {
  return createHash('sha256')
    .update(
      ['fp1', finding.path, normaliseText(finding.message), snippet(finding, texts)].join('\u0000'),
      'utf8',
    )
    .digest('hex')
    .slice(0, 16);
}

/** Lower case, letters and digits only, single spaces: rewording of punctuation or case is the same finding. */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The code the finding points at, whitespace removed and blank lines dropped ('' when the lines are not known). */
export function snippet(finding: FingerprintInput, texts: LineTexts): string {
  const lines = texts.get(finding.path)?.[finding.side];
  if (lines === undefined) return '';
  const first = finding.start_line ?? finding.line;
  const last = Math.min(finding.line, first + MAX_SNIPPET_LINES - 1);
  const parts: string[] = [];
  for (let number = first; number <= last; number += 1) {
    const text = lines.get(number)?.replace(/\s+/g, '');
    if (text) parts.push(text);
  }
  return parts.join('\n');
}
