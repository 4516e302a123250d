import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../lambdas/agent/model';
import { fitMessage, storedBytes } from '../../lambdas/sessions/fit';

const results = (...parts: Array<{ text: string } | { json: unknown }>): ChatMessage => ({
  role: 'user',
  content: parts.map((part, i) => ({
    toolResult: { toolUseId: `t${i}`, status: 'success', content: [part] },
  })),
});

const textOf = (message: ChatMessage, index: number): string => {
  const block = message.content[index];
  const part = block && 'toolResult' in block ? block.toolResult.content[0] : undefined;
  return part && 'text' in part ? part.text : '';
};

describe('fitMessage', () => {
  it('returns a message that fits unchanged', () => {
    const message = results({ text: 'small' });

    expect(fitMessage(message, 1_000)).toBe(message);
  });

  it('cuts the largest results to one length and leaves small ones whole', () => {
    const message = results({ text: 'a'.repeat(5_000) }, { text: 'b'.repeat(3_000) }, { text: 'small' });

    const fitted = fitMessage(message, 4_000);

    expect(storedBytes(fitted)).toBeLessThanOrEqual(4_000);
    expect(textOf(fitted, 0)).toMatch(
      /^a+… \[truncated when saved: kept the first \d+ of 5000 characters\]$/,
    );
    expect(textOf(fitted, 1)).toMatch(/of 3000 characters\]$/);
    expect(textOf(fitted, 2)).toBe('small');
    expect(fitted.content.map((block) => 'toolResult' in block && block.toolResult.toolUseId)).toEqual([
      't0',
      't1',
      't2',
    ]);
  });

  it('stores a cut JSON result as text', () => {
    const fitted = fitMessage(results({ json: { rows: 'r'.repeat(5_000) } }), 2_000);

    expect(textOf(fitted, 0)).toMatch(/^\{"rows":"r+… \[truncated/);
  });

  it('never splits a surrogate pair', () => {
    // Both results are cut to one length: with one character of offset, that length splits an emoji in one of them.
    const emoji = '😀'.repeat(3_000);
    const fitted = fitMessage(results({ text: emoji }, { text: `x${emoji}` }), 4_000);

    const cuts = [textOf(fitted, 0), textOf(fitted, 1)];
    expect(cuts.filter((text) => /[\ud800-\udbff](?![\udc00-\udfff])/.test(text))).toEqual([]);
    expect(cuts.every((text) => text.includes('[truncated when saved'))).toBe(true);
  });
});
