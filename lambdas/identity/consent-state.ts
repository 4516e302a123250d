import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The SHA-256 (base64url) of a consent's `customState`. The server keeps the state itself secret: the client gets only
 * this hash in the `oauth_url` event, and proves it saw the browser's redirect by sending the state back to
 * `/oauth/complete`. Someone who merely knows the authorization link (or was sent one) cannot finish the consent.
 */
export function consentStateHash(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('base64url');
}

/** Whether `state` hashes to `expectedHash`, compared in constant time. */
export function matchesStateHash(state: string, expectedHash: string): boolean {
  const actual = Buffer.from(consentStateHash(state), 'utf8');
  const expected = Buffer.from(expectedHash, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
