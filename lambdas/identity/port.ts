/** Options for one token request. */
export interface TokenRequest {
  /** The authenticated user's id; the token is this user's and nobody else's. */
  userId: string;
  /** Where the browser returns after consent (must be on the allowed list); the adapter's default when absent. */
  returnUrl?: string;
  /** Ask for a fresh consent even when a token is stored (GitHub said 401: the token was revoked). */
  forceAuthentication?: boolean;
  /**
   * OAuth scopes needed on top of the configured ones (e.g. `admin:repo_hook` to manage webhooks). AgentCore asks for
   * the union; the static and device-flow ports cannot widen their token and ignore it.
   */
  scopes?: string[];
}

/** A token is ready, or the user must open `authorizationUrl` first. */
export type TokenResult =
  | { kind: 'token'; token: string }
  | { kind: 'consent'; authorizationUrl: string; sessionUri: string; state: string; userCode?: string };

/** The GitHub token port: AgentCore 3LO in AWS, a static token or device flow locally. */
export interface GitHubTokenPort {
  getToken(request: TokenRequest): Promise<TokenResult>;
  /** Finishes a consent the same user started; throws ConsentForbiddenError for anyone else. */
  completeConsent(userId: string, sessionUri: string): Promise<void>;
}

/** The consent session does not belong to this user, or has expired. */
export class ConsentForbiddenError extends Error {
  constructor(message = 'This consent session was not started by you or has expired') {
    super(message);
    this.name = 'ConsentForbiddenError';
  }
}
