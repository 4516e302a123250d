import type { RequestSigner } from '../client/sign';

/**
 * A minimal client for the AWS Query protocol (form-encoded POST, XML answer), enough for the four read-only calls
 * doctor makes to STS, CloudFormation and IAM. It keeps the project from depending on three more SDK clients; the
 * requests are SigV4-signed with the same signer as the chat client (bin/client/sign.ts).
 */

/** The Query services doctor calls, with the API version each speaks. */
export const QUERY_SERVICES = {
  sts: { version: '2011-06-15', envSuffix: 'STS' },
  cloudformation: { version: '2010-05-15', envSuffix: 'CLOUDFORMATION' },
  iam: { version: '2010-05-08', envSuffix: 'IAM' },
} as const;

export type QueryService = keyof typeof QUERY_SERVICES;

/** Where to send a service's requests and which Region to sign them for. */
export interface ServiceEndpoint {
  url: string;
  signingRegion: string;
}

/**
 * The endpoint of a Query service in `region`. `AWS_ENDPOINT_URL_<SERVICE>` and then `AWS_ENDPOINT_URL` win, as they
 * do for the SDK's own clients (that is how tests and local stand-ins are wired). IAM is global per partition.
 */
export function queryEndpoint(
  service: QueryService,
  region: string,
  env: Record<string, string | undefined>,
): ServiceEndpoint {
  const iamRegion = region.startsWith('cn-')
    ? 'cn-north-1'
    : region.startsWith('us-gov-')
      ? 'us-gov-west-1'
      : 'us-east-1';
  const signingRegion = service === 'iam' ? iamRegion : region;
  const configured = env[`AWS_ENDPOINT_URL_${QUERY_SERVICES[service].envSuffix}`] || env.AWS_ENDPOINT_URL;
  if (configured) return { url: configured, signingRegion };
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  if (service !== 'iam') return { url: `https://${service}.${region}.${suffix}/`, signingRegion };
  if (iamRegion === 'us-east-1') return { url: 'https://iam.amazonaws.com/', signingRegion };
  if (iamRegion === 'us-gov-west-1') return { url: 'https://iam.us-gov.amazonaws.com/', signingRegion };
  return { url: 'https://iam.cn-north-1.amazonaws.com.cn/', signingRegion };
}

/** An error answer of a Query service: `name` is its `<Code>` (e.g. `ValidationError`, `NoSuchEntity`). */
export class AwsQueryError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** What one call needs. */
export interface QueryCall {
  service: QueryService;
  endpoint: ServiceEndpoint;
  action: string;
  params?: Record<string, string>;
  /** Signs for the service (`sts`, `cloudformation`, `iam`) and the endpoint's signing Region. */
  signer: RequestSigner;
  fetch: typeof fetch;
  timeoutMs: number;
}

/**
 * Sends one Query request and returns the XML body of a 2xx answer.
 * @throws AwsQueryError with the service's error code and message for any other status
 * @throws the fetch error (a TimeoutError after `timeoutMs`) when the service cannot be reached
 */
export async function queryCall(call: QueryCall): Promise<string> {
  const body = new URLSearchParams({
    Action: call.action,
    Version: QUERY_SERVICES[call.service].version,
    ...call.params,
  }).toString();
  const headers = await call.signer({
    method: 'POST',
    url: call.endpoint.url,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const response = await call.fetch(call.endpoint.url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(call.timeoutMs),
  });
  const text = await response.text();
  if (response.ok) return text;
  const error = xmlText(text, 'Error') ?? '';
  throw new AwsQueryError(
    xmlText(error, 'Code') ?? `HTTP${response.status}`,
    xmlText(error, 'Message') ?? `${call.action} answered HTTP ${response.status}`,
    response.status,
  );
}

/**
 * The text inside the first `<tag>` element of `xml`, entities decoded; undefined when there is none. Plain index
 * scans (no backtracking) over the service's own answer: enough for the flat elements these calls read.
 */
export function xmlText(xml: string, tag: string): string | undefined {
  return xmlElements(xml, tag)[0];
}

/** The texts inside every `<tag>` element of `xml`, in order (not nested in each other). */
export function xmlElements(xml: string, tag: string): string[] {
  const found: string[] = [];
  const close = `</${tag}>`;
  let from = 0;
  for (;;) {
    const open = findOpenTag(xml, tag, from);
    if (!open) return found;
    if (open.selfClosing) {
      found.push('');
      from = open.end;
      continue;
    }
    const end = xml.indexOf(close, open.end);
    if (end === -1) return found;
    found.push(decodeEntities(xml.slice(open.end, end)));
    from = end + close.length;
  }
}

function findOpenTag(
  xml: string,
  tag: string,
  from: number,
): { end: number; selfClosing: boolean } | undefined {
  let at = xml.indexOf(`<${tag}`, from);
  while (at !== -1) {
    const next = xml[at + tag.length + 1];
    if (next === '>' || next === ' ' || next === '/') {
      const end = xml.indexOf('>', at);
      if (end === -1) return undefined;
      return { end: end + 1, selfClosing: xml[end - 1] === '/' };
    }
    at = xml.indexOf(`<${tag}`, at + 1);
  }
  return undefined;
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, entity: string) => {
    if (!entity.startsWith('#')) return NAMED_ENTITIES[entity] ?? whole;
    const code = entity.startsWith('#x')
      ? Number.parseInt(entity.slice(2), 16)
      : Number.parseInt(entity.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
