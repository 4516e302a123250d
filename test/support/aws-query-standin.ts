import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the AWS Query-protocol calls `npm run doctor` makes (form-encoded POST, XML answers, error
 * documents with `<Code>` and `<Message>`), for tests and offline runs. One endpoint serves all three services, as
 * `AWS_ENDPOINT_URL` would; the SigV4 credential scope says which service a request was signed for.
 *
 * - STS `GetCallerIdentity` → the configured identity
 * - CloudFormation `DescribeStacks` (StackName) → the stack with its status and outputs, or CloudFormation's
 *   `ValidationError` "Stack with id X does not exist"
 * - IAM `GetPolicy` / `GetPolicyVersion` (PolicyArn) → default version v1 and its URL-encoded document, or
 *   `NoSuchEntity`
 */
export interface AwsQueryStandin {
  url: string;
  requests: RecordedQueryRequest[];
  close(): Promise<void>;
}

export interface RecordedQueryRequest {
  action: string;
  params: Record<string, string>;
  /** From the Authorization header's credential scope: `<date>/<region>/<service>/aws4_request`. */
  signedFor?: { region: string; service: string };
}

/** A stack as DescribeStacks reports it. */
export interface StandinStack {
  status: string;
  statusReason?: string;
  outputs: Record<string, string>;
}

/** An error answer for one action. */
export interface QueryFault {
  status: number;
  code: string;
  message: string;
}

export interface AwsQueryStandinOptions {
  identity?: { account: string; arn: string };
  stacks?: Record<string, StandinStack>;
  /** Managed policies by ARN: their documents. */
  policies?: Record<string, unknown>;
  /** Answers an action with an error instead (e.g. `{GetCallerIdentity: {status: 403, code: 'ExpiredToken', ...}}`). */
  faults?: Record<string, QueryFault>;
}

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startAwsQueryStandin(options: AwsQueryStandinOptions = {}): Promise<AwsQueryStandin> {
  const requests: RecordedQueryRequest[] = [];
  const identity = options.identity ?? {
    account: '111122223333',
    arn: 'arn:aws:iam::111122223333:user/operator',
  };

  const answer = (action: string, params: Record<string, string>): { status: number; xml: string } => {
    const fault = options.faults?.[action];
    if (fault) return error(fault);
    switch (action) {
      case 'GetCallerIdentity':
        return ok(
          action,
          `<Arn>${xmlEscape(identity.arn)}</Arn><UserId>AIDASTANDIN</UserId><Account>${identity.account}</Account>`,
        );
      case 'DescribeStacks': {
        const name = params.StackName ?? '';
        const stack = options.stacks?.[name];
        if (!stack)
          return error({
            status: 400,
            code: 'ValidationError',
            message: `Stack with id ${name} does not exist`,
          });
        const outputs = Object.entries(stack.outputs)
          .map(
            ([key, value]) =>
              `<member><OutputKey>${xmlEscape(key)}</OutputKey><OutputValue>${xmlEscape(value)}</OutputValue><Description>${xmlEscape(key)}</Description></member>`,
          )
          .join('');
        const reason = stack.statusReason
          ? `<StackStatusReason>${xmlEscape(stack.statusReason)}</StackStatusReason>`
          : '';
        return ok(
          action,
          `<Stacks><member><StackName>${xmlEscape(name)}</StackName><StackStatus>${stack.status}</StackStatus>${reason}<Outputs>${outputs}</Outputs><Tags/></member></Stacks>`,
        );
      }
      case 'GetPolicy':
      case 'GetPolicyVersion': {
        const arn = params.PolicyArn ?? '';
        const document = options.policies?.[arn];
        if (document === undefined) {
          return error({
            status: 404,
            code: 'NoSuchEntity',
            message: `Policy ${arn} does not exist or is not attachable.`,
          });
        }
        if (action === 'GetPolicy') {
          return ok(
            action,
            `<Policy><Arn>${xmlEscape(arn)}</Arn><DefaultVersionId>v1</DefaultVersionId></Policy>`,
          );
        }
        const encoded = encodeURIComponent(JSON.stringify(document));
        return ok(
          action,
          `<PolicyVersion><Document>${encoded}</Document><VersionId>${params.VersionId}</VersionId><IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>`,
        );
      }
      default:
        return error({ status: 400, code: 'InvalidAction', message: `Could not find operation ${action}` });
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const action = params.Action ?? '';
      const scope = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(
        String(req.headers.authorization ?? ''),
      );
      requests.push({
        action,
        params,
        ...(scope ? { signedFor: { region: scope[1] ?? '', service: scope[2] ?? '' } } : {}),
      });
      const { status, xml } = scope
        ? answer(action, params)
        : error({
            status: 403,
            code: 'MissingAuthenticationToken',
            message: 'Request is missing Authentication Token',
          });
      res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      res.end(xml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients keep their connections alive; the stand-in does not wait for them.
        server.closeAllConnections();
      }),
  };
}

function ok(action: string, result: string): { status: number; xml: string } {
  return {
    status: 200,
    xml: `<${action}Response xmlns="https://standin.local/doc/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function error(fault: QueryFault): { status: number; xml: string } {
  return {
    status: fault.status,
    xml: `<ErrorResponse xmlns="https://standin.local/doc/"><Error><Type>Sender</Type><Code>${fault.code}</Code><Message>${xmlEscape(fault.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}
