/**
 * Errors whose messages are written for people and carry no AWS or GitHub internals: an IdentityError, a
 * GitHubAuthError or a ModelError (matched by name, so the agent loop needs neither layer's classes).
 */
const WRITTEN_FOR_PEOPLE = new Set(['IdentityError', 'GitHubAuthError', 'ModelError']);

/**
 * What the model is told about a tool that threw. Anything else (an AWS SDK error naming a role ARN and the account
 * id, a bug) is described generically: the model would repeat it to the user. The caller logs the error itself.
 */
export function describeToolFailure(error: unknown): string {
  if (error instanceof Error && WRITTEN_FOR_PEOPLE.has(error.name)) return error.message;
  return "an unexpected error stopped it (the details are in the function's log)";
}
