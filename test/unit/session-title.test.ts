import { describe, expect, it } from 'vitest';
import { sessionTitle } from '../../lambdas/sessions/messages';

describe('sessionTitle', () => {
  it('is the first user text with its whitespace collapsed', () => {
    expect(
      sessionTitle([
        { role: 'user', content: [{ text: '  review\n\nmy   PR\t please ' }] },
        { role: 'user', content: [{ text: 'later' }] },
      ]),
    ).toBe('review my PR please');
  });

  it('is cut to 80 characters without splitting a character made of two UTF-16 units', () => {
    const title = sessionTitle([
      { role: 'user', content: [{ text: `${'x'.repeat(79)}😀${'y'.repeat(50)}` }] },
    ]);

    expect(title).toBe(`${'x'.repeat(79)}😀`);
  });

  it('skips messages without user text (tool results, assistant replies)', () => {
    expect(
      sessionTitle([
        { role: 'assistant', content: [{ text: 'hello' }] },
        {
          role: 'user',
          content: [{ toolResult: { toolUseId: 't1', status: 'success', content: [{ text: 'x' }] } }],
        },
        { role: 'user', content: [{ text: 'the real question' }] },
      ]),
    ).toBe('the real question');
  });

  it('is empty when nobody has said anything yet', () => {
    expect(sessionTitle([])).toBe('');
  });
});
