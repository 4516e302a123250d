import type { GitHubRequestError } from './errors';

/** Cuts `text` to `max` characters, saying how much was left out so the model knows it saw a part. */
export function truncate(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  return {
    text: `${text.slice(0, max)}\n… [${text.length - max} more characters not shown]`,
    truncated: true,
  };
}

/** `truncate` for optional single-line fields (descriptions, titles): null stays null. */
export function clip(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What was being done, so the message can name it ("repository sample-dev/widgets", "pull request #3"). */
export interface ErrorContext {
  /** e.g. "list your repositories", "create an issue in sample-dev/widgets" */
  action: string;
  /** What a 404 means here, e.g. "Repository sample-dev/nope was not found or you have no access to it". */
  notFound?: string;
}

/**
 * Turns a GitHub error into one clear sentence for the model (and so for the user): rate limits with when they
 * reset, 403 with the scopes GitHub wanted, 404 with what was missing, 422 with GitHub's own `errors[]` messages,
 * 5xx and network failures as "try again later". Never includes request headers (the token).
 */
export function describeGitHubError(
  error: GitHubRequestError,
  context: ErrorContext,
  now = Date.now(),
): string {
  const headers = error.response?.headers ?? {};
  const data = error.response?.data;
  const githubMessage = messageOf(data);
  const prefix = `Could not ${context.action}`;
  const status = error.status;

  if (!error.response) {
    // Octokit reports network failures and timeouts as status 500 without a response.
    return `${prefix}: GitHub could not be reached (${clip(error.message, 200)}). Try again in a moment.`;
  }
  if (status === 401) {
    return `${prefix}: GitHub rejected the credentials (401 ${githubMessage ?? 'Bad credentials'}).`;
  }
  if ((status === 403 || status === 429) && header(headers, 'x-ratelimit-remaining') === '0') {
    const reset = Number(header(headers, 'x-ratelimit-reset'));
    const when = Number.isFinite(reset) && reset > 0 ? resetPhrase(reset * 1000, now) : 'later';
    return `${prefix}: GitHub's API rate limit for this account is used up; it resets ${when}. Try again after that.`;
  }
  if ((status === 403 || status === 429) && /secondary rate limit/i.test(githubMessage ?? '')) {
    const retryAfter = Number(header(headers, 'retry-after'));
    const wait =
      Number.isFinite(retryAfter) && retryAfter > 0 ? `about ${retryAfter} seconds` : 'a minute or two';
    return `${prefix}: GitHub's secondary rate limit was hit (too many requests in a short time). Wait ${wait} and try again.`;
  }
  if (status === 429) {
    return `${prefix}: GitHub is rate limiting these requests (429). Wait a minute and try again.`;
  }
  if (status === 403) {
    const accepted = header(headers, 'x-accepted-oauth-scopes');
    const granted = header(headers, 'x-oauth-scopes');
    const scopes =
      accepted !== undefined && accepted !== ''
        ? ` This needs the OAuth scope(s) "${accepted}"; the token has "${granted ?? ''}". Re-authorize with those scopes.`
        : ' The token may lack a required scope (repo), or your account may not have permission here.';
    return `${prefix}: GitHub refused (403 ${githubMessage ?? 'Forbidden'}).${scopes}`;
  }
  if (status === 404) {
    return `${prefix}: ${context.notFound ?? 'GitHub says it does not exist or your account has no access to it'} (404).`;
  }
  if (status === 410) {
    return `${prefix}: ${githubMessage ?? 'Gone'} (410).`;
  }
  if (status === 422) {
    const details = validationDetails(data);
    const what = details.length > 0 ? details.join('; ') : (githubMessage ?? 'Validation Failed');
    return `${prefix}: GitHub rejected the request (422): ${clip(what, 600)}`;
  }
  if (status >= 500) {
    return `${prefix}: GitHub had a server error (${status}${githubMessage ? ` ${clip(githubMessage, 200)}` : ''}). Try again later.`;
  }
  return `${prefix}: GitHub answered ${status}${githubMessage ? ` (${clip(githubMessage, 300)})` : ''}.`;
}

/** A short label for the client's tool_result line, e.g. "not found (404)". */
export function errorLabel(error: GitHubRequestError): string {
  const headers = error.response?.headers ?? {};
  if (!error.response) return 'GitHub unreachable';
  if ((error.status === 403 || error.status === 429) && header(headers, 'x-ratelimit-remaining') === '0') {
    return 'rate limit exhausted';
  }
  if (/secondary rate limit/i.test(messageOf(error.response.data) ?? '')) return 'secondary rate limit';
  const labels: Record<number, string> = {
    401: 'unauthorized (401)',
    403: 'forbidden (403)',
    404: 'not found (404)',
    410: 'gone (410)',
    422: 'validation failed (422)',
    429: 'rate limited (429)',
  };
  return (
    labels[error.status] ??
    (error.status >= 500 ? `GitHub server error (${error.status})` : `HTTP ${error.status}`)
  );
}

function header(headers: Record<string, string | number | undefined>, name: string): string | undefined {
  const value = headers[name];
  return value === undefined ? undefined : String(value);
}

function messageOf(data: unknown): string | undefined {
  if (typeof data === 'string' && data.length > 0) return data;
  if (typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string') {
    return data.message;
  }
  return undefined;
}

const CODE_PHRASES: Record<string, string> = {
  missing: 'does not exist',
  missing_field: 'is required',
  invalid: 'is invalid',
  already_exists: 'already exists',
  unprocessable: 'could not be processed',
};

/** GitHub's `errors[]`: strings (reviews) or {resource, field, code, message} objects (issues, pulls). */
function validationDetails(data: unknown): string[] {
  if (typeof data !== 'object' || data === null || !('errors' in data) || !Array.isArray(data.errors))
    return [];
  return data.errors.slice(0, 10).flatMap((item: unknown): string[] => {
    if (typeof item === 'string') return [item];
    if (typeof item !== 'object' || item === null) return [];
    const entry = item as {
      resource?: unknown;
      field?: unknown;
      code?: unknown;
      message?: unknown;
      value?: unknown;
    };
    if (typeof entry.message === 'string' && entry.message.length > 0) return [entry.message];
    const subject = [entry.resource, entry.field].filter((part) => typeof part === 'string').join(' ');
    const code = typeof entry.code === 'string' ? (CODE_PHRASES[entry.code] ?? entry.code) : 'is invalid';
    const value = typeof entry.value === 'string' ? ` ("${clip(entry.value, 80)}")` : '';
    return [`${subject || 'a field'}${value} ${code}`];
  });
}

function resetPhrase(resetMs: number, now: number): string {
  const minutes = Math.max(1, Math.round((resetMs - now) / 60_000));
  const at = new Date(resetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `at ${at} (in about ${minutes} minute${minutes === 1 ? '' : 's'})`;
}
