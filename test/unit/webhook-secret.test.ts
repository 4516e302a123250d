import { describe, expect, it } from 'vitest';
import { createCachedSecret } from '../../lambdas/webhook/secret';

function source(values: string[], clock: { now: number }) {
  let fetches = 0;
  const cached = createCachedSecret({
    fetch: async () => {
      fetches += 1;
      const value = values.shift();
      if (value === undefined) throw new Error('Secrets Manager unavailable');
      return value;
    },
    ttlMs: 300_000,
    minRefreshMs: 60_000,
    now: () => clock.now,
  });
  return { cached, fetches: () => fetches };
}

describe('cached webhook secret', () => {
  it('fetches once per cold start while the TTL lasts, sharing one fetch between concurrent callers', async () => {
    const clock = { now: 0 };
    const { cached, fetches } = source(['s1'], clock);

    const values = await Promise.all([cached.get(), cached.get(), cached.get()]);
    clock.now = 299_000;
    const later = await cached.get();

    expect([...values, later]).toEqual(['s1', 's1', 's1', 's1']);
    expect(fetches()).toBe(1);
  });

  it('fetches again once the TTL has passed (a rotated secret is picked up)', async () => {
    const clock = { now: 0 };
    const { cached } = source(['old', 'new'], clock);
    await cached.get();
    clock.now = 300_001;

    expect(await cached.get()).toBe('new');
  });

  it('does not cache a failed fetch', async () => {
    const clock = { now: 0 };
    let fail = true;
    const cached = createCachedSecret({
      fetch: async () => {
        if (fail) throw new Error('down');
        return 'ok';
      },
      ttlMs: 300_000,
      minRefreshMs: 60_000,
      now: () => clock.now,
    });

    await expect(cached.get()).rejects.toThrow('down');
    fail = false;

    expect(await cached.get()).toBe('ok');
  });

  it('refreshes after a mismatch at most once a minute, and says whether the value changed', async () => {
    const clock = { now: 0 };
    const { cached, fetches } = source(['old', 'new', 'newer'], clock);
    await cached.get();

    const tooSoon = await cached.refresh();
    clock.now = 60_000;
    const rotated = await cached.refresh();

    expect(tooSoon).toBeUndefined();
    expect(rotated).toBe('new');
    expect(fetches()).toBe(2);
  });
});
