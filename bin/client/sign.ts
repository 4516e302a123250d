import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** An HTTP request about to be sent; `headers` are lower-case names. */
export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Returns the headers to send with `request`: its own plus whatever authenticates it. */
export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

/** Credentials or a provider of them, exactly as SignatureV4 takes them. */
export type SigningCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** What the SigV4 signer needs. */
export interface SigV4SignerOptions {
  region: string;
  /** Credentials or a provider (the default chain in the CLI: env, SSO, profile, IMDS...). */
  credentials: SigningCredentials;
  /** `lambda` for function URLs with `AWS_IAM` auth. */
  service?: string;
  /** For reproducible signatures in tests. */
  now?: () => Date;
}

/**
 * Signs requests with AWS Signature Version 4, as a Lambda function URL with `AWS_IAM` auth expects: service
 * `lambda`, the `host` header signed, and the body's SHA-256 sent as `x-amz-content-sha256` and signed.
 * The `host` header is signed but not returned, because fetch sets it from the URL itself.
 */
export function createSigV4Signer(options: SigV4SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? 'lambda',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    // Adds x-amz-content-sha256 with the payload hash; function URLs accept (and CloudFront OAC requires) it.
    applyChecksum: true,
  });
  return async (request) => {
    const url = new URL(request.url);
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    const signed = await signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        headers: { ...request.headers, host: url.host },
        body: request.body,
      }),
      options.now ? { signingDate: options.now() } : undefined,
    );
    const { host: _host, ...headers } = signed.headers;
    return headers;
  };
}

/** Local servers (`npm run dev`) take unsigned requests: localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackUrl(url: string): boolean {
  const hostname = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return hostname === 'localhost' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `https://<id>.lambda-url.<region>.on.aws/` names its region. */
export function regionFromFunctionUrl(url: string): string | undefined {
  return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(new URL(url).hostname)?.[1];
}

/**
 * The signing region: the flag, then the function URL's own (a function URL only accepts signatures for its region),
 * then AWS_REGION / AWS_DEFAULT_REGION (a custom domain in front of the function names none).
 */
export function resolveRegion(
  url: string,
  flag: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  return flag || regionFromFunctionUrl(url) || env.AWS_REGION || env.AWS_DEFAULT_REGION;
}
