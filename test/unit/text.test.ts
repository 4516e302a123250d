import { describe, expect, it } from 'vitest';
import { longestRun, trimTrailing } from '../../lambdas/text';

describe('trimTrailing', () => {
  it.each([
    ['https://api.github.com///', '/', 'https://api.github.com'],
    ['no slash', '/', 'no slash'],
    ['////', '/', ''],
    ['', '/', ''],
    ['a\n\nb\n', '\n', 'a\n\nb'],
  ])('trims %j of trailing %j', (text, char, expected) => {
    expect(trimTrailing(text, char)).toBe(expected);
  });

  it('handles 32,000 slashes before text in linear time (under 100 ms)', () => {
    const text = `${'/'.repeat(32_000)}x`;
    const started = performance.now();

    const trimmed = trimTrailing(text, '/');

    expect(performance.now() - started).toBeLessThan(100);
    expect(trimmed).toBe(text);
  });
});

describe('longestRun', () => {
  it.each([
    ['no ticks', 0],
    ['a ` b ``` c ``', 3],
    ['````', 4],
  ])('finds the longest run of backticks in %j', (text, expected) => {
    expect(longestRun(text, '`')).toBe(expected);
  });
});
