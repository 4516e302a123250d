import { describe, expect, it } from 'vitest';
import { randomToken } from '../../lambdas/random-token';

describe('randomToken', () => {
  it('gives the asked number of bytes in the asked encoding', () => {
    expect(randomToken(16, 'base64url')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomToken(4, 'hex')).toMatch(/^[0-9a-f]{8}$/);
  });

  it('never hands out the same bytes twice, across refills of its pool', () => {
    // 1,000 × 16 bytes is almost four pools of 4 KB.
    const tokens = Array.from({ length: 1_000 }, () => randomToken(16, 'hex'));

    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('refuses sizes it cannot give', () => {
    expect(() => randomToken(0, 'hex')).toThrow(RangeError);
    expect(() => randomToken(4_097, 'hex')).toThrow(RangeError);
    expect(() => randomToken(1.5, 'hex')).toThrow(RangeError);
  });
});
