/**
 * `text` without any trailing `char`s, found in one backward scan. The regex `/c+$/` is quadratic on a long run of
 * `c` followed by anything else: it restarts the run at every position and fails at its end each time.
 */
export function trimTrailing(text: string, char: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === char) end -= 1;
  return end === text.length ? text : text.slice(0, end);
}

/** The length of the longest run of `char` in `text` (0 when it does not occur), in one pass. */
export function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const current of text) {
    run = current === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}
