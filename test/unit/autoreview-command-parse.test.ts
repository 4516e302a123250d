import { describe, expect, it } from 'vitest';
import { parseAutoReviewCommand } from '../../lambdas/autoreview/command-parse';

describe('parseAutoReviewCommand', () => {
  it('reads "auto-review owner/repo" as a subscribe with no options', () => {
    expect(parseAutoReviewCommand('auto-review sample-dev/widgets')).toEqual({
      type: 'subscribe',
      ref: { owner: 'sample-dev', repo: 'widgets' },
      options: { drafts: false, shared: false },
    });
  });

  it('reads "including drafts" and "shared", in any case, with commas and a final full stop', () => {
    expect(parseAutoReviewCommand('  Auto Review Sample-Dev/Widgets including Drafts, shared.  ')).toEqual({
      type: 'subscribe',
      ref: { owner: 'Sample-Dev', repo: 'Widgets' },
      options: { drafts: true, shared: true },
    });
  });

  it('reads "stop auto-review owner/repo" as an unsubscribe', () => {
    expect(parseAutoReviewCommand('stop auto-review sample-dev/widgets!')).toEqual({
      type: 'unsubscribe',
      ref: { owner: 'sample-dev', repo: 'widgets' },
    });
  });

  it.each(['list auto-reviews', 'List auto reviews.', 'list my auto-reviews'])(
    'reads "%s" as list',
    (text) => {
      expect(parseAutoReviewCommand(text)).toEqual({ type: 'list' });
    },
  );

  it.each([
    'auto-review is it any good?',
    'please auto-review sample-dev/widgets',
    'stop',
    'list issues',
    'review sample-dev/widgets#4',
  ])('leaves the ordinary message "%s" to the model', (text) => {
    expect(parseAutoReviewCommand(text)).toBeUndefined();
  });

  it('answers with the syntax when the repository is missing', () => {
    expect(parseAutoReviewCommand('auto-review')).toEqual({
      type: 'usage',
      problem: 'name the repository as owner/name',
    });
  });

  it('answers with the syntax for an invalid repository name', () => {
    expect(parseAutoReviewCommand('auto-review sample-dev/wid$gets')?.type).toBe('usage');
    expect(parseAutoReviewCommand('auto-review a/b/c')?.type).toBe('usage');
  });

  it('answers with the syntax for an unknown option, quoting it', () => {
    expect(parseAutoReviewCommand('auto-review sample-dev/widgets hourly')).toEqual({
      type: 'usage',
      problem: '"hourly" is not an auto-review option',
    });
  });

  it('refuses options after "stop auto-review owner/repo"', () => {
    expect(parseAutoReviewCommand('stop auto-review sample-dev/widgets shared')?.type).toBe('usage');
  });

  it('does not read a long message as a command', () => {
    expect(parseAutoReviewCommand(`auto-review sample-dev/widgets ${'shared '.repeat(60)}`)).toBeUndefined();
  });

  it('does not run a command with more words than any command has', () => {
    expect(parseAutoReviewCommand(`auto-review sample-dev/widgets ${'shared '.repeat(9)}`)?.type).toBe(
      'usage',
    );
  });

  it('stays linear on hostile input: 32 KB messages in under 100 ms each', () => {
    const hostile = [
      `auto-review ${' '.repeat(32_000)}#`,
      `auto-review ${'a'.repeat(32_000)}/b`,
      `stop auto-review ${'a/'.repeat(16_000)}`,
      `auto-review a/${'.'.repeat(32_000)}`,
      `list ${'auto-reviews '.repeat(2_500)}`,
      `${' \t'.repeat(16_000)}auto-review a/b`,
    ];
    for (const text of hostile) {
      const started = performance.now();
      parseAutoReviewCommand(text);
      expect(performance.now() - started).toBeLessThan(100);
    }
  });

  it('stays linear on hostile input just under the length cap', () => {
    const text = `auto-review a/${'a'.repeat(100)} ${'\t'.repeat(150)}x`;
    const started = performance.now();
    const command = parseAutoReviewCommand(text);
    expect(performance.now() - started).toBeLessThan(100);
    expect(command?.type).toBe('usage');
  });
});
