import { describeError, errorMessage, errorName, type Finding, fail, isNetworkError } from '../result';

/** The fix for every credentials problem, wherever it shows up first. */
export const CREDENTIALS_FIX =
  'Give doctor credentials for the target account: `aws sso login --profile <name>` then `--profile <name>` ' +
  '(or AWS_PROFILE), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` must work.';

const REJECTED = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'AuthFailure',
]);

/**
 * A finding for an error that is about the caller's credentials (none, expired, rejected), or undefined when the
 * error is something else: every AWS check reports these the same way, with the same fix.
 */
export function credentialsFinding(error: unknown): Finding | undefined {
  const name = errorName(error);
  const message = errorMessage(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return fail(`No AWS credentials found (${message})`, CREDENTIALS_FIX);
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || /token .{0,40}expired/i.test(message)) {
    return fail(`The AWS credentials have expired (${name})`, CREDENTIALS_FIX);
  }
  if (REJECTED.has(name)) {
    return fail(`AWS rejected the credentials (${describeError(error)})`, CREDENTIALS_FIX);
  }
  return undefined;
}

/** A finding for an AWS call that failed in a way the check has no specific advice for. */
export function awsCallFailed(error: unknown, what: string, region: string): Finding {
  const credentials = credentialsFinding(error);
  if (credentials) return credentials;
  if (isNetworkError(error)) {
    return fail(
      `Could not reach AWS for ${what} in ${region} (${describeError(error)})`,
      'Check the network (proxy, VPN) and that the Region is right and enabled for the account; run doctor again.',
    );
  }
  if (['AccessDeniedException', 'AccessDenied'].includes(errorName(error))) {
    return fail(
      `Your credentials may not ${what} (${describeError(error)})`,
      `Run doctor with a principal allowed to ${what} (read-only rights are enough), or ask the account's administrator.`,
    );
  }
  return fail(
    `${what} failed: ${describeError(error)}`,
    'Read the error above; run doctor again if it was transient.',
  );
}
