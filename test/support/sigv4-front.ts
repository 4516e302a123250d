import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the front received, as it arrived. */
export interface FrontRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Why the signature was refused; undefined when it checked out. */
  signatureProblem?: string;
}

/** An answer the front gives instead of forwarding (a throttled or failing service). */
export interface CannedAnswer {
  status: number;
  body: unknown;
}

/** A local AWS front door: checks each request's SigV4 signature as AWS does, then forwards it to the stand-in. */
export interface SigV4Front {
  url: string;
  readonly requests: readonly FrontRequest[];
  /** The next answers, one per request, given instead of forwarding (after the signature check). */
  answerNext(...answers: CannedAnswer[]): void;
  close(): Promise<void>;
}

export interface SigV4FrontOptions {
  /** Where signed requests go (e.g. dynalite's endpoint). */
  upstream: string;
  /** Secret access keys by access key id. */
  secrets: Record<string, string>;
  /** The credential scope's service, e.g. `dynamodb`. */
  service: string;
  region: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS refuses a request whose x-amz-date is further than this from its own clock. */
const MAX_SKEW_MS = 5 * 60_000;

/**
 * Starts the front on an ephemeral loopback port. Refused signatures get AWS's answer (HTTP 403/400 with
 * `InvalidSignatureException`, `MissingAuthenticationTokenException` or `UnrecognizedClientException`); this is an
 * independent implementation of the documented algorithm (docs.aws.amazon.com, "Create a signed AWS API request"), so
 * it also checks the SDK's own signer.
 */
export async function startSigV4Front(options: SigV4FrontOptions): Promise<SigV4Front> {
  const requests: FrontRequest[] = [];
  const canned: CannedAnswer[] = [];
  const upstream = new URL(options.upstream);

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const problem = checkSignature(req, body, options);
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: body.toString('utf8'),
        ...(problem ? { signatureProblem: problem.message } : {}),
      });
      if (problem) return answer(res, problem.status, { __type: problem.type, message: problem.message });
      const next = canned.shift();
      if (next) return answer(res, next.status, next.body);
      const forwarded = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (upstreamResponse) => {
          res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
          upstreamResponse.pipe(res);
        },
      );
      forwarded.on('error', () => answer(res, 502, { message: 'upstream failed' }));
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answerNext: (...answers) => canned.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': `front-${Date.now()}`,
  });
  res.end(text);
}

interface Problem {
  status: number;
  type: string;
  message: string;
}

function checkSignature(req: IncomingMessage, body: Buffer, options: SigV4FrontOptions): Problem | undefined {
  const authorization = req.headers.authorization ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!match) {
    return {
      status: 400,
      type: 'MissingAuthenticationTokenException',
      message: 'Request is missing a valid SigV4 Authorization header',
    };
  }
  const [, accessKeyId = '', day = '', region, service, signedList = '', signature = ''] = match;
  const secret = options.secrets[accessKeyId];
  if (secret === undefined) {
    return {
      status: 400,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const invalid = (message: string): Problem => ({ status: 400, type: 'InvalidSignatureException', message });
  if (region !== options.region || service !== options.service) {
    return invalid(`Credential should be scoped to region ${options.region} and service ${options.service}`);
  }
  const amzDate = header(req, 'x-amz-date');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) return invalid('Bad x-amz-date');
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Math.abs(Date.now() - signedAt) > MAX_SKEW_MS) return invalid('Signature expired');
  const signedHeaders = signedList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return invalid('host and x-amz-date must be signed');
  }
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const claimedHash = header(req, 'x-amz-content-sha256');
  if (claimedHash !== '' && claimedHash !== payloadHash)
    return invalid('x-amz-content-sha256 does not match the body');
  const url = new URL(req.url ?? '/', 'http://front');
  const canonicalRequest = [
    req.method ?? '',
    url.pathname,
    canonicalQuery(url.searchParams),
    ...signedHeaders.map((name) => `${name}:${header(req, name).trim().replace(/\s+/g, ' ')}`),
    '',
    signedList,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${secret}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part ?? '');
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return invalid('The request signature we calculated does not match the signature you provided.');
  }
  return undefined;
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params.entries()]
    .map(([key, value]) => [encodeURIComponent(key), encodeURIComponent(value)])
    .sort(([a = ''], [b = '']) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
