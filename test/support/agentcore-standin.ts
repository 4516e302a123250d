import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the AgentCore Identity data plane (REST-JSON over HTTP/1.1), for tests and the offline demo.
 * The real `BedrockAgentCoreClient` talks to it through `endpoint` (or `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`).
 *
 * Paths and shapes follow the SDK's serializers (`@aws-sdk/client-bedrock-agentcore` 3.1141):
 * - `POST /identities/GetWorkloadAccessTokenForUserId` {workloadName, userId} → {workloadAccessToken}
 * - `POST /identities/oauth2/token` {workloadIdentityToken, resourceCredentialProviderName, scopes, oauth2Flow,
 *   resourceOauth2ReturnUrl?, customState?, forceAuthentication?, sessionUri?} → {accessToken} or
 *   {authorizationUrl, sessionUri, sessionStatus: 'IN_PROGRESS'}
 * - `POST /identities/CompleteResourceTokenAuth` {userIdentifier: {userId}, sessionUri} → {}
 * - `GET /consent?request_uri=<sessionUri>` plays the browser's consent: 302 to
 *   `<resourceOauth2ReturnUrl>?session_id=<sessionUri>&state=<customState>` (state only when one was sent).
 *
 * A user's stored token is returned whatever `scopes` ask for: only `forceAuthentication` starts a new consent (the
 * AgentCore documentation does not say the vault compares scopes, so callers must not rely on it). A consent remembers
 * the scopes it asked for, and its token is bound with them.
 *
 * Errors carry `x-amzn-errortype` and the HTTP status the SDK's error schemas declare, so the SDK raises its own
 * typed exceptions (AccessDeniedException 403, ResourceNotFoundException 404, ValidationException 400,
 * UnauthorizedException 401).
 */
export interface AgentCoreStandin {
  /** Base URL (`http://127.0.0.1:<port>`), the client's `endpoint`. */
  url: string;
  /** Every data-plane request in arrival order (the consent page visits are not API calls and are not recorded). */
  requests: RecordedAgentCoreRequest[];
  /**
   * Plays the user granting consent in the browser for `sessionUri`.
   * @returns the URL AgentCore would redirect the browser to (the return URL plus `session_id` and `state`).
   * @throws when the session is unknown or already completed
   */
  simulateConsent(sessionUri: string): string;
  /** The GitHub token currently bound to `userId`, if any (so tests can grep logs and events for it). */
  tokenFor(userId: string): string | undefined;
  /** Sessions still open (started and not completed), newest last. */
  pendingSessions(): StandinSession[];
  /**
   * The next call of `operation` answers this AWS error instead of running (fault injection, e.g. an IAM denial
   * whose message names a role ARN, which the real service would send for a misconfigured deployment).
   */
  failNext(operation: RecordedAgentCoreRequest['operation'], error: InjectedAgentCoreError): void;
  /** Every user's current GitHub token and grant count (what `--data` keeps across restarts). */
  bindings(): StandinBinding[];
  close(): Promise<void>;
}

/** An error the stand-in answers once, as AgentCore would (`type` becomes `x-amzn-errortype`). */
export interface InjectedAgentCoreError {
  status: number;
  type: string;
  message: string;
}

/** One recorded data-plane call. */
export interface RecordedAgentCoreRequest {
  operation:
    | 'GetWorkloadAccessTokenForUserId'
    | 'GetResourceOauth2Token'
    | 'CompleteResourceTokenAuth'
    | 'unknown';
  path: string;
  body: Record<string, unknown>;
  /** Lower-cased request headers (the SigV4 `authorization` header among them). */
  headers: Record<string, string | string[] | undefined>;
}

/** A consent session as the stand-in keeps it. */
export interface StandinSession {
  sessionUri: string;
  userId: string;
  /** The OAuth scopes the token request asked for (what the user is consenting to). */
  scopes: string[];
  returnUrl: string | undefined;
  customState: string | undefined;
  consented: boolean;
}

/** A completed consent: the token AgentCore holds for a user, and how many grants that user has had. */
export interface StandinBinding {
  userId: string;
  token: string;
  grants: number;
  /** The scopes consented to for `token` (absent in data saved before scopes were kept). */
  scopes?: string[];
}

/** How the stand-in behaves. */
export interface AgentCoreStandinOptions {
  /** The workload identity it knows; other names get ResourceNotFoundException. */
  workloadName?: string;
  /** The credential provider it knows; other names get ResourceNotFoundException. */
  providerName?: string;
  /** The workload identity's allowed return URLs; any other `resourceOauth2ReturnUrl` gets ValidationException. */
  allowedReturnUrls?: string[];
  /**
   * The GitHub token handed out when a consent completes: a fixed value, or one per grant (`grant` counts this
   * user's completed consents from 1, so a forced re-consent can yield a new token; `scopes` are the ones consented
   * to, so a caller can give the token exactly those on the GitHub stand-in).
   */
  githubToken?: string | ((userId: string, grant: number, scopes: string[]) => string);
  /** Consents completed in an earlier run (the dev server's `--data`). */
  bindings?: StandinBinding[];
  /** Called after a consent completes, with every binding (the dev server's `--data` saves them then). */
  onBindingsChange?: (bindings: StandinBinding[]) => void;
}

const SESSION_PREFIX = 'urn:ietf:params:oauth:request_uri:';
const WORKLOAD_TOKEN_PREFIX = 'standin-wat.';

class StandinError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Starts the stand-in on 127.0.0.1 with an OS-chosen port. */
export async function startAgentCoreStandin(
  options: AgentCoreStandinOptions = {},
): Promise<AgentCoreStandin> {
  const workloadName = options.workloadName ?? 'github-coding-agent';
  const providerName = options.providerName ?? 'github-provider';
  const allowedReturnUrls = options.allowedReturnUrls ?? ['http://localhost:8976/oauth/callback'];
  const tokenFor =
    typeof options.githubToken === 'function'
      ? options.githubToken
      : (() => {
          const fixed = options.githubToken ?? 'gho_standin_token_0123456789';
          return () => fixed;
        })();

  const requests: RecordedAgentCoreRequest[] = [];
  const sessions = new Map<string, StandinSession>();
  const bound = new Map<string, string>();
  const boundScopes = new Map<string, string[]>();
  const grants = new Map<string, number>();
  const injected = new Map<string, InjectedAgentCoreError[]>();
  for (const binding of options.bindings ?? []) {
    bound.set(binding.userId, binding.token);
    grants.set(binding.userId, binding.grants);
    if (binding.scopes) boundScopes.set(binding.userId, binding.scopes);
  }
  const bindings = (): StandinBinding[] =>
    [...bound].map(([userId, token]) => ({
      userId,
      token,
      grants: grants.get(userId) ?? 1,
      ...(boundScopes.has(userId) ? { scopes: boundScopes.get(userId) } : {}),
    }));
  let baseUrl = '';

  const workloadToken = (userId: string): string =>
    WORKLOAD_TOKEN_PREFIX +
    Buffer.from(JSON.stringify({ workloadName, userId, nonce: randomBytes(6).toString('hex') })).toString(
      'base64url',
    );

  const userFromWorkloadToken = (token: unknown): string => {
    if (typeof token !== 'string' || !token.startsWith(WORKLOAD_TOKEN_PREFIX)) {
      throw new StandinError(401, 'UnauthorizedException', 'Invalid workload access token');
    }
    try {
      const decoded = JSON.parse(
        Buffer.from(token.slice(WORKLOAD_TOKEN_PREFIX.length), 'base64url').toString('utf8'),
      ) as { userId?: unknown };
      if (typeof decoded.userId === 'string') return decoded.userId;
    } catch {
      // fall through to the same answer as any other malformed token
    }
    throw new StandinError(401, 'UnauthorizedException', 'Invalid workload access token');
  };

  const validation = (message: string): StandinError =>
    new StandinError(400, 'ValidationException', message, { reason: 'FieldValidationFailed' });

  const operations: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    GetWorkloadAccessTokenForUserId(body) {
      if (typeof body.userId !== 'string' || body.userId.length === 0) throw validation('userId is required');
      if (body.workloadName !== workloadName) {
        throw new StandinError(
          404,
          'ResourceNotFoundException',
          `Workload identity ${String(body.workloadName)} not found`,
        );
      }
      return { workloadAccessToken: workloadToken(body.userId) };
    },

    GetResourceOauth2Token(body) {
      const userId = userFromWorkloadToken(body.workloadIdentityToken);
      if (body.resourceCredentialProviderName !== providerName) {
        throw new StandinError(
          404,
          'ResourceNotFoundException',
          `Credential provider ${String(body.resourceCredentialProviderName)} not found`,
        );
      }
      if (body.oauth2Flow !== 'USER_FEDERATION' && body.oauth2Flow !== 'M2M') {
        throw validation('oauth2Flow must be USER_FEDERATION or M2M');
      }
      if (!Array.isArray(body.scopes)) throw validation('scopes is required');
      const scopes = body.scopes.filter((scope): scope is string => typeof scope === 'string');
      const returnUrl =
        typeof body.resourceOauth2ReturnUrl === 'string' ? body.resourceOauth2ReturnUrl : undefined;
      if (returnUrl !== undefined && !allowedReturnUrls.includes(returnUrl)) {
        throw validation(
          `resourceOauth2ReturnUrl ${returnUrl} is not in the allowed resource OAuth2 return URLs of workload ${workloadName}`,
        );
      }
      const existing = bound.get(userId);
      if (existing !== undefined && body.forceAuthentication !== true) return { accessToken: existing };

      const sessionUri = SESSION_PREFIX + randomBytes(16).toString('hex');
      sessions.set(sessionUri, {
        sessionUri,
        userId,
        scopes,
        returnUrl,
        customState: typeof body.customState === 'string' ? body.customState : undefined,
        consented: false,
      });
      return {
        authorizationUrl: `${baseUrl}/consent?request_uri=${encodeURIComponent(sessionUri)}`,
        sessionUri,
        sessionStatus: 'IN_PROGRESS',
      };
    },

    CompleteResourceTokenAuth(body) {
      const identifier = body.userIdentifier as { userId?: unknown; userToken?: unknown } | undefined;
      if (identifier?.userToken !== undefined)
        throw validation('userToken is not supported by this stand-in');
      if (typeof identifier?.userId !== 'string') throw validation('userIdentifier is required');
      const session = typeof body.sessionUri === 'string' ? sessions.get(body.sessionUri) : undefined;
      // Like AgentCore: another user's session looks exactly like a missing or expired one.
      if (!session || session.userId !== identifier.userId) {
        throw new StandinError(403, 'AccessDeniedException', 'Invalid or expired session');
      }
      if (!session.consented) throw validation('The user has not completed authorization for this session');
      const grant = (grants.get(session.userId) ?? 0) + 1;
      grants.set(session.userId, grant);
      bound.set(session.userId, tokenFor(session.userId, grant, session.scopes));
      boundScopes.set(session.userId, session.scopes);
      sessions.delete(session.sessionUri);
      options.onBindingsChange?.(bindings());
      return {};
    },
  };

  const pathToOperation: Record<string, RecordedAgentCoreRequest['operation']> = {
    '/identities/GetWorkloadAccessTokenForUserId': 'GetWorkloadAccessTokenForUserId',
    '/identities/oauth2/token': 'GetResourceOauth2Token',
    '/identities/CompleteResourceTokenAuth': 'CompleteResourceTokenAuth',
  };

  const consent = (sessionUri: string): string => {
    const session = sessions.get(sessionUri);
    if (!session) throw new Error(`No open consent session ${sessionUri}`);
    session.consented = true;
    const target = new URL(session.returnUrl ?? allowedReturnUrls[0] ?? `${baseUrl}/no-return-url`);
    target.searchParams.set('session_id', session.sessionUri);
    if (session.customState !== undefined) target.searchParams.set('state', session.customState);
    return target.href;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      sendJson(res, 500, { message: String(error) }, 'InternalServerException');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    if (req.method === 'GET' && url.pathname === '/consent') {
      const sessionUri = url.searchParams.get('request_uri') ?? '';
      if (!sessions.has(sessionUri)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Unknown or expired consent session');
        return;
      }
      res.writeHead(302, { location: consent(sessionUri) }).end();
      return;
    }
    const raw = await readBody(req);
    const operation = pathToOperation[url.pathname] ?? 'unknown';
    let body: Record<string, unknown> = {};
    try {
      body = raw.length > 0 ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      // recorded as empty; answered below
    }
    requests.push({ operation, path: url.pathname, body, headers: { ...req.headers } });
    const run = operation === 'unknown' || req.method !== 'POST' ? undefined : operations[operation];
    if (!run) {
      sendJson(
        res,
        404,
        { message: `No route for ${req.method} ${url.pathname}` },
        'UnknownOperationException',
      );
      return;
    }
    const fault = injected.get(operation)?.shift();
    if (fault) {
      sendJson(res, fault.status, { message: fault.message }, fault.type);
      return;
    }
    try {
      sendJson(res, 200, run(body));
    } catch (error) {
      if (error instanceof StandinError) {
        sendJson(res, error.status, { message: error.message, ...error.extra }, error.errorType);
        return;
      }
      throw error;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    requests,
    simulateConsent: consent,
    tokenFor: (userId) => bound.get(userId),
    pendingSessions: () => [...sessions.values()].map((session) => ({ ...session })),
    failNext: (operation, error) => injected.set(operation, [...(injected.get(operation) ?? []), error]),
    bindings,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
