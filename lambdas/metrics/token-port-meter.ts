import { IdentityError } from '../identity/errors';
import { ConsentForbiddenError, type GitHubTokenPort } from '../identity/port';
import type { MetricsPort } from './port';

/**
 * Wraps the GitHub token port so consents are counted where they end: a completion that succeeds, fails or finds the
 * consent expired, and a forced re-consent (GitHub refused a stored token). Consents that start are counted from the
 * `oauth_url` event the turn streams. Results and errors pass through unchanged.
 */
export function meterTokenPort(port: GitHubTokenPort, metrics: MetricsPort): GitHubTokenPort {
  return {
    getToken(request) {
      if (request.forceAuthentication) metrics.consent('forced');
      return port.getToken(request);
    },
    async completeConsent(userId, sessionUri) {
      try {
        await port.completeConsent(userId, sessionUri);
      } catch (error) {
        metrics.consent(isExpired(error) ? 'expired' : 'failed');
        throw error;
      }
      metrics.consent('completed');
    },
  };
}

/** AgentCore answers "Invalid or expired session" once the caller's own binding was verified: the session timed out. */
function isExpired(error: unknown): boolean {
  return (
    error instanceof ConsentForbiddenError ||
    (error instanceof IdentityError && error.code === 'consent_expired')
  );
}
