/** Why the identity layer could not produce a token; stable so handlers can map it to a status or event code. */
export type IdentityErrorCode =
  /** The caller asked for a return URL that is not on the configured allowed list. */
  | 'return_url_not_allowed'
  /** AgentCore refused the return URL: it is not registered in the workload identity. */
  | 'return_url_not_registered'
  /** The credential provider name does not match a provider in this account and region. */
  | 'provider_not_found'
  /** The workload identity name does not match a workload identity in this account and region. */
  | 'workload_not_found'
  /**
   * AWS denied a call the deployment needs (IAM on AgentCore Identity, or the provider's client secret in Secrets
   * Manager): the operator must fix permissions.
   */
  | 'identity_misconfigured'
  /** The user's authorization failed or was refused (device flow: denied; AgentCore: session FAILED). */
  | 'consent_failed'
  /** The device code or consent expired before the user finished. */
  | 'consent_expired'
  /** The identity service answered something we cannot use. */
  | 'unexpected_response';

/**
 * A token could not be obtained, with a message that says what to fix. Messages name configuration, never a token and
 * never AWS's own error text (which carries role ARNs and the account id): that goes to the log.
 */
export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IdentityError';
  }
}
