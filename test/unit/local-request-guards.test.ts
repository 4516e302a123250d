import { describe, expect, it } from 'vitest';
import { isAllowedHost } from '../../bin/local/request-guards';

describe('isAllowedHost (the local server’s DNS-rebinding defence)', () => {
  it.each([
    'localhost',
    'localhost:8787',
    'LOCALHOST:1',
    '127.0.0.1',
    '127.0.0.1:8787',
    '[::1]',
    '[::1]:8787',
  ])('accepts the loopback name %s', (host) => {
    expect(isAllowedHost(host)).toBe(true);
  });

  it.each([
    'evil.example',
    'evil.example:8787',
    'localhost.evil.example',
    '127.0.0.1.nip.io:8787',
    '192.168.1.20:8787',
    'localhost:8787:1',
    '[::1',
    '',
  ])('refuses %s', (host) => {
    expect(isAllowedHost(host)).toBe(false);
  });

  it('refuses a request without Host', () => {
    expect(isAllowedHost(undefined)).toBe(false);
  });

  it('accepts the concrete address the server was told to listen on', () => {
    expect(isAllowedHost('10.0.0.5:8787', ['10.0.0.5'])).toBe(true);
  });

  it('refuses a 100 KB Host header at once', () => {
    const started = performance.now();

    const allowed = isAllowedHost(`${'a'.repeat(100_000)}:`);

    expect(allowed).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
