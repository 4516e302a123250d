/** One `@@ -a,b +c,d @@` hunk: the lines a review comment may anchor to, per side. */
export interface Hunk {
  /** Old-file line numbers shown in the hunk (deleted and context lines). */
  left: Set<number>;
  /** New-file line numbers shown in the hunk (added and context lines). */
  right: Set<number>;
}

export interface ParsedPatch {
  hunks: Hunk[];
  additions: number;
  deletions: number;
  /** Lines after the first hunk header, counted the way GitHub's legacy `position` counts them. */
  positions: number;
}

/**
 * Parses a unified diff as GitHub returns it in `patch`.
 * @throws Error when a hunk header's counts disagree with its lines (a broken seed patch)
 */
export function parsePatch(patch: string): ParsedPatch {
  const hunks: Hunk[] = [];
  let additions = 0;
  let deletions = 0;
  let positions = 0;
  let current: (Hunk & { oldLine: number; newLine: number; oldLeft: number; newLeft: number }) | undefined;
  const close = () => {
    if (current && (current.oldLeft !== 0 || current.newLeft !== 0)) {
      throw new Error(
        `Hunk counts do not match its lines (${current.oldLeft} old, ${current.newLeft} new left over)`,
      );
    }
  };
  for (const line of patch.split('\n')) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (header) {
      close();
      if (hunks.length > 0) positions += 1;
      current = {
        left: new Set(),
        right: new Set(),
        oldLine: Number(header[1]),
        oldLeft: header[2] === undefined ? 1 : Number(header[2]),
        newLine: Number(header[3]),
        newLeft: header[4] === undefined ? 1 : Number(header[4]),
      };
      hunks.push(current);
      continue;
    }
    if (!current || line.startsWith('\\')) continue;
    positions += 1;
    if (line.startsWith('+')) {
      current.right.add(current.newLine++);
      current.newLeft -= 1;
      additions += 1;
    } else if (line.startsWith('-')) {
      current.left.add(current.oldLine++);
      current.oldLeft -= 1;
      deletions += 1;
    } else {
      current.left.add(current.oldLine++);
      current.right.add(current.newLine++);
      current.oldLeft -= 1;
      current.newLeft -= 1;
    }
  }
  close();
  return { hunks, additions, deletions, positions };
}
