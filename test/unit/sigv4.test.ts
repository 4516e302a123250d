import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { signJsonPost } from '../../lambdas/sigv4';

const post = {
  host: 'dynamodb.ap-southeast-2.amazonaws.com',
  path: '/',
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
  body: '{"TableName":"sessions","Key":{"pk":{"S":"USER#alice"},"sk":{"S":"SESSION#s1"}}}',
};
const scope = { region: 'ap-southeast-2', service: 'dynamodb' };
const at = new Date('2026-11-30T10:45:23.456Z');

/** The SDK's own signer on the same request: what our signature must equal. */
async function sdkAuthorization(credentials: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}) {
  const signer = new SignatureV4({ ...scope, credentials, sha256: Sha256, applyChecksum: false });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: post.host,
      path: post.path,
      headers: { host: post.host, ...post.headers },
      body: post.body,
    }),
    { signingDate: at },
  );
  return signed.headers;
}

describe('signJsonPost', () => {
  it("signs exactly as the SDK's SignatureV4 does", async () => {
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    };

    const ours = signJsonPost(post, credentials, scope, at);

    expect(ours.authorization).toBe((await sdkAuthorization(credentials)).authorization);
    expect(ours['x-amz-date']).toBe('20261130T104523Z');
  });

  it('signs the session token of temporary credentials, as the SDK does', async () => {
    const credentials = {
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token/with+chars=',
    };

    const ours = signJsonPost(post, credentials, scope, at);
    const sdk = await sdkAuthorization(credentials);

    expect(ours['x-amz-security-token']).toBe('token/with+chars=');
    expect(ours.authorization).toBe(sdk.authorization);
    expect(ours.authorization).toContain('x-amz-security-token');
  });

  it('gives another signature for another body or another day', () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
    const base = signJsonPost(post, credentials, scope, at).authorization;

    expect(signJsonPost({ ...post, body: `${post.body} ` }, credentials, scope, at).authorization).not.toBe(
      base,
    );
    expect(signJsonPost(post, credentials, scope, new Date('2026-12-01T10:45:23Z')).authorization).not.toBe(
      base,
    );
  });
});
