import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentity } from '@smithy/types';

/** What {@link signJsonPost} signs: a POST of a JSON body to the root path of an AWS JSON-protocol endpoint. */
export interface JsonPost {
  /** `host[:port]` as sent in the Host header. */
  host: string;
  path: string;
  /** Headers to sign besides host, x-amz-date and the session token (lower-case names). */
  headers: Record<string, string>;
  body: string;
}

/** Signing keys by day, region, service and secret: one HMAC chain a day instead of one per request. */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 16;

/**
 * AWS Signature Version 4 for one JSON POST, synchronously (the SDK's signer awaits its hash functions several times
 * per request). Returns the headers to send: the given ones plus `host`, `x-amz-date`, `x-amz-security-token` (with
 * session credentials) and `authorization`. Every header sent is signed. Tests check it against the SDK's own
 * SignatureV4 (the same Authorization for the same request and time) and against an independent verifier.
 */
export function signJsonPost(
  post: JsonPost,
  credentials: AwsCredentialIdentity,
  scope: { region: string; service: string },
  now: Date = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...post.headers, host: post.host, 'x-amz-date': amzDate };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    'POST',
    post.path,
    '',
    ...names.map((name) => `${name}:${(headers[name] ?? '').trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    sha256Hex(post.body),
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, day, scope))
    .update(stringToSign)
    .digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

function signingKey(secret: string, day: string, scope: { region: string; service: string }): Buffer {
  const cacheKey = `${day}\n${scope.region}\n${scope.service}\n${secret}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), scope.region), scope.service), 'aws4_request');
    // Rotated credentials and new days add keys: keep a handful, never an unbounded map of secrets.
    if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
