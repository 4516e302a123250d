import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createSigV4Signer,
  isLoopbackUrl,
  regionFromFunctionUrl,
  resolveRegion,
} from '../../bin/client/sign';

const URL_ = 'https://abc123.lambda-url.ap-southeast-2.on.aws/chat/stream';
const BODY = JSON.stringify({ message: 'list my repos' });
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const NOW = new Date('2026-01-02T03:04:05Z');

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text).digest();

/** Recomputes a SigV4 signature by the spec, from scratch, over the headers the signer says it signed. */
function expectedSignature(headers: Record<string, string>, signedHeaders: string[], region: string): string {
  const all: Record<string, string> = { ...headers, host: new URL(URL_).host };
  const canonicalRequest = [
    'POST',
    '/chat/stream',
    '',
    ...signedHeaders.map((name) => `${name}:${all[name]?.trim()}`),
    '',
    signedHeaders.join(';'),
    sha256(BODY),
  ].join('\n');
  const scope = `20260102/${region}/lambda/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', '20260102T030405Z', scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, '20260102');
  for (const part of [region, 'lambda', 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

async function sign(credentials: typeof CREDENTIALS & { sessionToken?: string } = CREDENTIALS) {
  const signer = createSigV4Signer({ region: 'ap-southeast-2', credentials, now: () => NOW });
  return signer({
    method: 'POST',
    url: URL_,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: BODY,
  });
}

describe('SigV4 signer', () => {
  it('produces an Authorization header scoped to service lambda and the region', async () => {
    const headers = await sign();

    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/ap-southeast-2\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toBe('20260102T030405Z');
  });

  it('sends and signs the payload hash', async () => {
    const headers = await sign();

    const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';');
    expect(headers['x-amz-content-sha256']).toBe(sha256(BODY));
    expect(signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-content-sha256', 'x-amz-date']));
  });

  it('computes the signature the SigV4 specification gives', async () => {
    const headers = await sign();

    const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? [];
    const signature = /Signature=([0-9a-f]+)/.exec(headers.authorization ?? '')?.[1];
    expect(signature).toBe(expectedSignature(headers, signedHeaders, 'ap-southeast-2'));
  });

  it('adds the session token of temporary credentials', async () => {
    const headers = await sign({ ...CREDENTIALS, sessionToken: 'session-token-value' });

    expect(headers['x-amz-security-token']).toBe('session-token-value');
  });

  it('leaves the host header to fetch', async () => {
    const headers = await sign();

    expect(headers.host).toBeUndefined();
  });
});

describe('signing decisions', () => {
  it.each([
    ['http://localhost:8787', true],
    ['http://127.0.0.1:8787/chat/stream', true],
    ['http://[::1]:8787', true],
    [URL_, false],
    ['http://localhost.example.com', false],
  ])('treats %s as loopback: %s', (url, loopback) => {
    expect(isLoopbackUrl(url)).toBe(loopback);
  });

  it('reads the region from a function URL', () => {
    expect(regionFromFunctionUrl(URL_)).toBe('ap-southeast-2');
  });

  it("prefers the flag, then the function URL's region, then the environment", () => {
    expect(resolveRegion(URL_, 'eu-west-1', { AWS_REGION: 'us-east-1' })).toBe('eu-west-1');
    expect(resolveRegion(URL_, undefined, { AWS_REGION: 'us-east-1' })).toBe('ap-southeast-2');
    expect(resolveRegion('https://chat.example.com/', undefined, { AWS_REGION: 'us-east-1' })).toBe(
      'us-east-1',
    );
    expect(resolveRegion('https://chat.example.com/', undefined, {})).toBeUndefined();
  });
});
