/**
 * A failure the operator must act on. The Provider framework sends the thrown error's stack to CloudFormation as the
 * failure reason, so this error's stack is just its message: the stack events then read as one clear sentence.
 */
export class ProviderFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderFailure';
    this.stack = `${this.name}: ${message}`;
  }
}

/** The error's AWS SDK exception name (e.g. `ResourceNotFoundException`), if it has one. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The error's message, or its string form. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
