import { describe, expect, it } from 'vitest';
import { parseConfirmation } from '../../lambdas/writes/commands';
import { summarizeWrite } from '../../lambdas/writes/gate';

describe('parseConfirmation', () => {
  it.each([
    ['yes', 'approve'],
    ['Yes.', 'approve'],
    ['  YES! ', 'approve'],
    ['no', 'cancel'],
    ['No.', 'cancel'],
  ])('reads %j as %s', (message, type) => {
    expect(parseConfirmation(message)).toEqual({ type });
  });

  it.each(['thanks', 'yes please create it', 'yesterday', 'ok', 'no way', 'constructor', '__proto__'])(
    'leaves %j to the model',
    (message) => {
      expect(parseConfirmation(message)).toBeUndefined();
    },
  );

  it('answers a 32 KB adversarial message in under 100 ms', () => {
    const message = `yes${' '.repeat(32_000)}#`;
    const started = performance.now();

    const result = parseConfirmation(message);

    expect(result).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('summarizeWrite', () => {
  it('cuts a long input to one short line', () => {
    const summary = summarizeWrite('create_github_issue', { title: 'x', body: 'y'.repeat(10_000) });

    expect(summary.length).toBeLessThanOrEqual(200);
    expect(summary.startsWith('create_github_issue {"title":"x"')).toBe(true);
  });
});
