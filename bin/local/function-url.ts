import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { LambdaFunctionURLEventWithIAMAuthorizer, StreamifyHandler } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../../lambdas/chat/request';
import {
  createLocalContext,
  createPreludeParser,
  installLambdaGlobals,
  LocalResponseStream,
  type StreamedResponseHead,
} from './lambda-runtime';
import { startLocalHttpServer } from './local-http';
import { listenNames, readGuardedBody } from './request-guards';

/** A local stand-in for the Lambda function URL in front of a streaming handler (RESPONSE_STREAM, AWS_IAM). */
export interface LocalFunctionUrl {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface LocalFunctionUrlOptions {
  handler: StreamifyHandler<LambdaFunctionURLEventWithIAMAuthorizer, void>;
  port?: number;
  host?: string;
  /** The IAM principal every request is signed as (the local stand-in for SigV4); none: no IAM context at all. */
  userArn?: string;
  /**
   * Lets a request pick its principal with an `x-local-user: NAME` header (tests and demos of several users).
   * Never an option of the real function URL, where the signature decides.
   */
  allowUserHeader?: boolean;
  /** The function timeout (default 300 s, as the stack's default). */
  timeoutMs?: number;
  functionName?: string;
  /**
   * Bodies above this are refused with 413 while they arrive (default: the handler's MAX_BODY_BYTES plus 64 KB, so
   * the handler still answers its own precise 413 for bodies just over its limit).
   */
  maxBodyBytes?: number;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json)/i;

/**
 * Serves `handler` over plain HTTP the way a function URL in RESPONSE_STREAM mode does: builds the payload 2.0 event
 * with an IAM authorizer context, runs the handler with the runtime's response stream, turns the prelude into the
 * status line and headers, and relays body chunks as they are written.
 */
export async function startLocalFunctionUrl(options: LocalFunctionUrlOptions): Promise<LocalFunctionUrl> {
  installLambdaGlobals();
  const timeoutMs = options.timeoutMs ?? 300_000;
  const functionName = options.functionName ?? 'github-coding-agent-chat';
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES + 64 * 1024;
  // A concrete listen address (not a wildcard) is a name this server may be called by, too.
  const extraHosts = listenNames(options.host);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readGuardedBody(req, res, {
      extraHosts,
      maxBodyBytes,
      who: 'The local server',
      tooLarge: `The body is over ${maxBodyBytes} bytes; the limit is ${MAX_BODY_BYTES}`,
    });
    if (body === undefined) return;
    const userName = options.allowUserHeader ? headerValue(req, 'x-local-user') : undefined;
    const userArn = userName ? `arn:aws:iam::000000000000:user/${userName}` : options.userArn;
    const event = toFunctionUrlEvent(req, body, userArn);

    let head: StreamedResponseHead | undefined;
    let bodyWritten = false;
    const stream: LocalResponseStream = new LocalResponseStream(
      createPreludeParser(
        () => stream.contentType,
        (parsed) => {
          head = parsed;
          const headers: Record<string, string | string[]> = { ...parsed.headers };
          if (parsed.cookies.length > 0) headers['set-cookie'] = parsed.cookies;
          res.writeHead(parsed.statusCode, headers);
          // The first body chunk follows in the same tick and carries the headers in its own socket write; they are
          // flushed alone only when it does not come (an empty first chunk): one socket write less per response.
          process.nextTick(() => {
            if (!bodyWritten && !res.destroyed) res.flushHeaders();
          });
        },
        (chunk) => {
          if (res.destroyed) throw new Error('The client closed the connection');
          bodyWritten = true;
          res.write(chunk);
        },
      ),
    );
    // A client that goes away errors the handler's stream, as Lambda's runtime does when its response request fails.
    res.on('close', () => {
      if (!stream.writableFinished) stream.destroy(new Error('The client closed the connection'));
    });
    const context = createLocalContext(functionName, timeoutMs);
    // Writes after the client left or the timeout are dropped, as in Lambda; they must not crash the server.
    stream.on('error', () => undefined);
    // At the function timeout Lambda cuts the stream off: no `done`, which clients must treat as a failure.
    const timer = setTimeout(() => {
      stream.destroy();
      res.destroy();
    }, timeoutMs);
    try {
      await options.handler(event, stream as unknown as awslambda.HttpResponseStream, context);
      if (!stream.writableEnded) stream.end();
    } catch (error) {
      if (!head && !res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Message: 'Internal Server Error', errorMessage: String(error) }));
        return;
      }
    } finally {
      clearTimeout(timer);
    }
    // Nothing written at all: Lambda still answers 200, with no body and none of the handler's headers.
    if (!head && !res.headersSent) res.writeHead(200);
    res.end();
  }

  const { server, baseUrl, close } = await startLocalHttpServer(serve, options);
  return { url: baseUrl, server, close };
}

/** The payload format 2.0 event a function URL with AWS_IAM auth passes to the function. */
export function toFunctionUrlEvent(
  req: IncomingMessage,
  body: Buffer,
  userArn: string | undefined,
): LambdaFunctionURLEventWithIAMAuthorizer {
  // Prefixed, not resolved: "//chat/stream" stays a path (as Lambda's rawPath keeps it), not a host named "chat".
  const url = new URL(`http://localhost${req.url?.startsWith('/') ? req.url : '/'}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== 'cookie')
      headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  const accountId = /^arn:aws:\w+::(\d{12}):/.exec(userArn ?? '')?.[1] ?? '000000000000';
  const query = Object.fromEntries(url.searchParams.entries());
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: req.headers.cookie?.split(';').map((cookie) => cookie.trim()),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    requestContext: {
      accountId,
      apiId: 'local',
      // With auth NONE a function URL sends no authorizer at all; the handler must refuse such requests.
      authorizer:
        userArn === undefined
          ? (undefined as never)
          : {
              iam: {
                accessKey: 'ASIALOCALACCESSKEY00',
                accountId,
                callerId: `AIDALOCAL:${userArn?.split('/').pop() ?? 'local'}`,
                cognitoIdentity: null,
                // Function URLs send null outside an AWS Organization; @types/aws-lambda types it as string.
                principalOrgId: null as unknown as string,
                userArn,
                userId: localPrincipalId(userArn),
              },
            },
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !isText,
  };
}

/** A stable, IAM-shaped unique id per local user (AWS gives every principal its own `AIDA…`/`AROA…` id). */
export function localPrincipalId(userArn: string): string {
  return `AIDALOCAL${createHash('sha256').update(userArn).digest('hex').slice(0, 12).toUpperCase()}`;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
