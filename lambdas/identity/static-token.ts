import { ConsentForbiddenError, type GitHubTokenPort } from './port';

/**
 * The GitHub token port for local runs with a personal token (`IDENTITY_PROVIDER=static`, `GITHUB_TOKEN`).
 * Every user gets the same token, so it is for a single developer's machine only; there is never a consent, and
 * `completeConsent` refuses (there is nothing to complete), which the handler reports like any unknown session.
 */
export function createStaticTokenPort(options: { token: string }): GitHubTokenPort {
  if (options.token.length === 0)
    throw new Error('The static GitHub token port needs a non-empty GITHUB_TOKEN');
  const { token } = options;
  return {
    async getToken() {
      return { kind: 'token', token };
    },
    async completeConsent() {
      throw new ConsentForbiddenError(
        'Nothing to complete: this server uses a static GitHub token (GITHUB_TOKEN)',
      );
    },
  };
}
