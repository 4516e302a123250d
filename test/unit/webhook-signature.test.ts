import { describe, expect, it } from 'vitest';
import { signatureFor, verifySignature } from '../../lambdas/webhook/signature';

const SECRET = "It's a Secret to Everybody";
const BODY = Buffer.from('Hello, World!');

describe('X-Hub-Signature-256 verification', () => {
  it("accepts GitHub's documented example signature", () => {
    // docs.github.com "Validating webhook deliveries": this secret and payload give this signature.
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

    expect(verifySignature(SECRET, BODY, header)).toBe(true);
  });

  it('accepts the signature it computes itself', () => {
    expect(verifySignature(SECRET, BODY, signatureFor(SECRET, BODY))).toBe(true);
  });

  it('refuses a missing header', () => {
    expect(verifySignature(SECRET, BODY, undefined)).toBe(false);
  });

  it('refuses a digest without the sha256= prefix', () => {
    expect(verifySignature(SECRET, BODY, signatureFor(SECRET, BODY).slice('sha256='.length))).toBe(false);
  });

  it('refuses the legacy sha1= header format', () => {
    expect(verifySignature(SECRET, BODY, signatureFor(SECRET, BODY).replace('sha256=', 'sha1='))).toBe(false);
  });

  it('refuses a digest of the wrong length without throwing', () => {
    const header = signatureFor(SECRET, BODY);

    expect(verifySignature(SECRET, BODY, header.slice(0, -2))).toBe(false);
    expect(verifySignature(SECRET, BODY, `${header}00`)).toBe(false);
  });

  it('refuses non-hex digits of the right length', () => {
    expect(verifySignature(SECRET, BODY, `sha256=${'z'.repeat(64)}`)).toBe(false);
  });

  it('refuses a tampered body', () => {
    const header = signatureFor(SECRET, BODY);

    expect(verifySignature(SECRET, Buffer.from('Hello, World?'), header)).toBe(false);
  });

  it('refuses a signature made with another secret', () => {
    expect(verifySignature(SECRET, BODY, signatureFor('another secret entirely', BODY))).toBe(false);
  });

  it('checks the exact bytes: a body re-encoded from the same text no longer matches', () => {
    const text = '{"title":"caf\u00e9"}';
    const header = signatureFor(SECRET, Buffer.from(text, 'utf8'));

    expect(verifySignature(SECRET, Buffer.from(text, 'latin1'), header)).toBe(false);
  });

  it('checks a hostile 1 MB header-sized input in linear time', () => {
    const header = `sha256=${'a'.repeat(1_000_000)}`;
    const started = performance.now();

    const valid = verifySignature(SECRET, BODY, header);

    expect(valid).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
