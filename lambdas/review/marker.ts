import * as z from 'zod';

/**
 * The review state a posted review carries in its body, as one hidden HTML comment:
 *
 *   <!-- github-coding-agent:state:1 head=<sha> base=<sha> from=<sha> fp=<fp>,<fp>,... -->
 *
 * `head`/`base`: the PR's head and base commits the review covered; `from`: the previous head when the review covered
 * only the commits since then (absent for a full review); `fp`: the fingerprints of the findings it posted (see
 * fingerprints.ts). The next review of the PR reads it back to review only what is new and never repeat a finding.
 *
 * Anyone who can comment can write such a line, so a body is untrusted input: the marker is found with plain string
 * searches, capped in size, parsed field by field with anchored fixed-length patterns (linear time), and validated
 * with zod; anything else is ignored. Which reviews to believe at all is decided by their author
 * ({@link trustedStates}). The format is a machine format (versioned here), not prose, so it lives in code.
 */
export const STATE_MARKER_PREFIX = '<!-- github-coding-agent:state:';
const SUFFIX = ' -->';
const VERSION = '1';

/** The most characters a marker may take: longer ones are ignored unread. */
export const MAX_STATE_MARKER_CHARS = 8192;
/** The most fingerprints one marker records (the most severe findings come first). */
export const MAX_FINGERPRINTS = 400;
/** Reviews whose markers are read, newest first: older ones add nothing a PR this busy would miss. */
const MAX_STATES = 100;

const SHA = /^[0-9a-f]{40}$/;
const FINGERPRINT = /^[0-9a-f]{16}$/;

const stateSchema = z.object({
  head: z.string().regex(SHA, 'head must be a 40-character commit SHA'),
  base: z.string().regex(SHA, 'base must be a 40-character commit SHA'),
  from: z.string().regex(SHA, 'from must be a 40-character commit SHA').optional(),
  fingerprints: z
    .array(z.string().regex(FINGERPRINT, 'a fingerprint is 16 hex digits'))
    .max(MAX_FINGERPRINTS, `at most ${MAX_FINGERPRINTS} fingerprints`),
});

/** What one review recorded about itself. */
export type ReviewState = z.infer<typeof stateSchema>;

/** The marker line for `state` (fingerprints beyond the cap are left out: the first ones are kept). */
export function renderStateMarker(state: ReviewState): string {
  const fields = [
    `head=${state.head}`,
    `base=${state.base}`,
    ...(state.from === undefined ? [] : [`from=${state.from}`]),
    `fp=${state.fingerprints.slice(0, MAX_FINGERPRINTS).join(',')}`,
  ];
  return `${STATE_MARKER_PREFIX}${VERSION} ${fields.join(' ')}${SUFFIX}`;
}

/**
 * The state recorded in `body`, or undefined when it carries no valid marker (none, another version, too long,
 * malformed, or a field that does not validate). Only the first marker counts: a review body starts with its own.
 */
export function parseStateMarker(body: string): ReviewState | undefined {
  const start = body.indexOf(STATE_MARKER_PREFIX);
  if (start < 0) return undefined;
  // Look for the end only within the cap: a huge unterminated "marker" costs one bounded scan.
  const window = body.slice(start, start + MAX_STATE_MARKER_CHARS + SUFFIX.length);
  const end = window.indexOf(SUFFIX);
  if (end < 0) return undefined;
  const inner = window.slice(STATE_MARKER_PREFIX.length, end);
  const [version, ...parts] = inner.split(' ');
  if (version !== VERSION) return undefined;
  const fields = new Map<string, string>();
  for (const part of parts) {
    const equals = part.indexOf('=');
    if (equals <= 0) return undefined;
    const key = part.slice(0, equals);
    // A repeated field is a forgery or a bug either way.
    if (fields.has(key)) return undefined;
    fields.set(key, part.slice(equals + 1));
  }
  const fp = fields.get('fp');
  const parsed = stateSchema.safeParse({
    head: fields.get('head'),
    base: fields.get('base'),
    from: fields.get('from'),
    fingerprints: fp === undefined || fp === '' ? [] : fp.split(',', MAX_FINGERPRINTS + 1),
  });
  return parsed.success ? parsed.data : undefined;
}

/** A review as listed on the PR, with the fields trust and state need. */
export interface ListedReview {
  id: number;
  /** The author's login; undefined for a deleted account. */
  author?: string;
  body: string;
  /** The commit the review was made on. */
  commitId?: string;
}

/** The states a PR's reviews recorded, oldest first, with the review that carried each. */
export interface TrustedState {
  reviewId: number;
  state: ReviewState;
}

/**
 * The states recorded by the reviews `viewer` wrote (the GitHub account the token acts as: the agent's own reviews),
 * oldest first. A marker in anybody else's review or comment is ignored: it could point the next review at any range
 * or hide any finding. At most the newest 100 are read.
 */
export function trustedStates(reviews: ListedReview[], viewer: string): TrustedState[] {
  const login = viewer.toLowerCase();
  const own = reviews.filter((review) => review.author?.toLowerCase() === login);
  return own.slice(-MAX_STATES).flatMap((review) => {
    const state = parseStateMarker(review.body);
    return state === undefined ? [] : [{ reviewId: review.id, state }];
  });
}
