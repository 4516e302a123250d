/** How one check came out: ✔ pass, ✘ fail, ! warn (works, but look at it), ! skip (could not be checked). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** The phase a check belongs to: before `cdk deploy` (account and inputs) or after it (the deployed stack). */
export type Phase = 'before' | 'after';

/** Every check doctor runs, in the order it prints them. */
export const CHECK_IDS = [
  'credentials',
  'bedrock-model',
  'client-secret',
  'github-client-id',
  'stack-outputs',
  'oauth-provider',
  'callback-url',
  'github-callback',
  'workload-return-urls',
  'health',
  'chat-turn',
  'invoke-policy',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

/** One line of the checklist (and one object of `--json`). */
export interface CheckResult {
  id: CheckId;
  phase: Phase;
  /** A short label for the checklist. */
  title: string;
  status: CheckStatus;
  /** What was found; never a secret value or a token. */
  detail: string;
  /** What to do about a ✘ or !, when there is something to do. */
  fix?: string;
  /** The section of the troubleshooting guide for this check. */
  doc: string;
}

/** What a check function returns; the runner adds its id, phase, title and doc anchor. */
export interface Finding {
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** The troubleshooting guide's section for a check: headings there read "Doctor check `<id>`". */
export function docAnchor(id: CheckId): string {
  return `docs/troubleshooting.md#doctor-check-${id}`;
}

export const pass = (detail: string): Finding => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): Finding => ({ status: 'fail', detail, fix });
export const warn = (detail: string, fix?: string): Finding => ({
  status: 'warn',
  detail,
  ...(fix ? { fix } : {}),
});
export const skip = (detail: string, fix?: string): Finding => ({
  status: 'skip',
  detail,
  ...(fix ? { fix } : {}),
});

/** The name an SDK or signed-request error carries (`AccessDeniedException`, `ResourceNotFoundException`...). */
export function errorName(error: unknown): string {
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string') {
    return error.name;
  }
  return 'Error';
}

/** The message of an error, on one line and bounded (an HTML error page must not flood the checklist). */
export function errorMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const line = raw.replace(/\s+/g, ' ').trim();
  return line.length > 400 ? `${line.slice(0, 400)}…` : line;
}

/** `Name: message`, as doctor prints an error it did not expect. */
export function describeError(error: unknown): string {
  const name = errorName(error);
  const message = errorMessage(error);
  return name === 'Error' || message.startsWith(name) ? message : `${name}: ${message}`;
}

/** Whether an error is a timeout or a network failure rather than an answer from the service. */
export function isNetworkError(error: unknown): boolean {
  const name = errorName(error);
  if (['TimeoutError', 'AbortError', 'RequestTimeout', 'TimeoutException'].includes(name)) return true;
  // Node's fetch wraps the socket error: TypeError('fetch failed') with the code on its cause.
  const codes = [codeOf(error), codeOf(error instanceof Error ? error.cause : undefined)];
  return codes.some((code) =>
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code),
  );
}

function codeOf(error: unknown): string {
  return error && typeof error === 'object' && 'code' in error && typeof error.code === 'string'
    ? error.code
    : '';
}
