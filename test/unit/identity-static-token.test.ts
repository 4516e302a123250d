import { describe, expect, it } from 'vitest';
import { ConsentForbiddenError } from '../../lambdas/identity/port';
import { createStaticTokenPort } from '../../lambdas/identity/static-token';

describe('static token port', () => {
  it('returns the configured token for any user', async () => {
    const port = createStaticTokenPort({ token: 'ghp_static' });

    const result = await port.getToken({ userId: 'anyone', forceAuthentication: true });

    expect(result).toEqual({ kind: 'token', token: 'ghp_static' });
  });

  it('has nothing to complete', async () => {
    const port = createStaticTokenPort({ token: 'ghp_static' });

    const attempt = port.completeConsent('alice', 'urn:ietf:params:oauth:request_uri:x');

    await expect(attempt).rejects.toBeInstanceOf(ConsentForbiddenError);
    await expect(attempt).rejects.toThrow(/Nothing to complete/);
  });

  it('refuses an empty token', () => {
    expect(() => createStaticTokenPort({ token: '' })).toThrow(/GITHUB_TOKEN/);
  });
});
