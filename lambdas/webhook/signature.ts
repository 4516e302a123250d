import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
/** Exactly 64 hex digits: a fixed-length, linear-time check before any decoding. */
const HEX_DIGEST = /^[0-9a-f]{64}$/i;

/** The `X-Hub-Signature-256` header GitHub would send for `body` signed with `secret`. */
export function signatureFor(secret: string, body: Buffer | string): string {
  return `${PREFIX}${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is GitHub's `X-Hub-Signature-256` for these exact body bytes: `sha256=` and the hex HMAC-SHA256
 * of the raw body under the webhook secret. The digests are compared in constant time (equal-length buffers only, so
 * timingSafeEqual never throws and a wrong length says nothing about the secret).
 */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (header === undefined || !header.startsWith(PREFIX)) return false;
  const hex = header.slice(PREFIX.length);
  if (!HEX_DIGEST.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
