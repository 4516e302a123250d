import { describe, expect, it } from 'vitest';
import {
  MAX_FINGERPRINTS,
  MAX_STATE_MARKER_CHARS,
  parseStateMarker,
  type ReviewState,
  renderStateMarker,
  STATE_MARKER_PREFIX,
  trustedStates,
} from '../../lambdas/review/marker';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const FROM = 'c'.repeat(40);
const state: ReviewState = {
  head: HEAD,
  base: BASE,
  from: FROM,
  fingerprints: ['0123456789abcdef', 'fedcba9876543210'],
};

describe('state marker round trip', () => {
  it('reads back what it wrote, inside a review body', () => {
    const body = `<!-- github-coding-agent:plan:p_1 -->\n${renderStateMarker(state)}\n\n### Review`;

    expect(parseStateMarker(body)).toEqual(state);
  });

  it('reads back a full review (no from) with no findings', () => {
    const full: ReviewState = { head: HEAD, base: BASE, fingerprints: [] };

    expect(parseStateMarker(renderStateMarker(full))).toEqual(full);
  });

  it('is an HTML comment on one line, so GitHub shows nothing of it', () => {
    const marker = renderStateMarker(state);

    expect(marker).toMatch(/^<!-- .* -->$/);
    expect(marker).not.toContain('\n');
  });

  it('keeps the first fingerprints when there are more than the cap, and stays under the size cap', () => {
    const many = Array.from({ length: MAX_FINGERPRINTS + 50 }, (_, i) => i.toString(16).padStart(16, '0'));

    const marker = renderStateMarker({ head: HEAD, base: BASE, fingerprints: many });

    expect(parseStateMarker(marker)?.fingerprints).toEqual(many.slice(0, MAX_FINGERPRINTS));
    expect(marker.length).toBeLessThan(MAX_STATE_MARKER_CHARS);
  });
});

describe('hostile markers', () => {
  it('ignores a body without a marker', () => {
    expect(parseStateMarker('LGTM <!-- just a comment -->')).toBeUndefined();
  });

  it.each([
    ['another version', `${STATE_MARKER_PREFIX}2 head=${HEAD} base=${BASE} fp= -->`],
    ['an unterminated marker', `${STATE_MARKER_PREFIX}1 head=${HEAD} base=${BASE} fp=`],
    ['a short head', `${STATE_MARKER_PREFIX}1 head=abc base=${BASE} fp= -->`],
    ['an upper-case sha', `${STATE_MARKER_PREFIX}1 head=${HEAD.toUpperCase()} base=${BASE} fp= -->`],
    ['a missing base', `${STATE_MARKER_PREFIX}1 head=${HEAD} fp= -->`],
    ['a bad fingerprint', `${STATE_MARKER_PREFIX}1 head=${HEAD} base=${BASE} fp=xyz -->`],
    ['a repeated field', `${STATE_MARKER_PREFIX}1 head=${HEAD} head=${FROM} base=${BASE} fp= -->`],
    ['a field without a value sign', `${STATE_MARKER_PREFIX}1 head=${HEAD} base=${BASE} junk fp= -->`],
    ['markup in a field', `${STATE_MARKER_PREFIX}1 head=${HEAD} base=${BASE} fp=<script> -->`],
  ])('ignores %s', (_name, body) => {
    expect(parseStateMarker(body)).toBeUndefined();
  });

  it('ignores a marker longer than the cap, without reading past it', () => {
    const fingerprints = Array.from({ length: 2000 }, () => '0123456789abcdef').join(',');
    const body = `${STATE_MARKER_PREFIX}1 head=${HEAD} base=${BASE} fp=${fingerprints} -->`;

    expect(parseStateMarker(body)).toBeUndefined();
  });

  it('parses a huge hostile body (64 KB of near-markers) in linear time', () => {
    const body = `${`${STATE_MARKER_PREFIX}1 head=`.repeat(1200)}${'='.repeat(10_000)}`;

    const started = performance.now();
    const parsed = parseStateMarker(body);
    const elapsed = performance.now() - started;

    expect(parsed).toBeUndefined();
    // A generous bound: the parse is a few bounded scans.
    expect(elapsed).toBeLessThan(100);
  });
});

describe('trustedStates', () => {
  const own = (id: number, marker: ReviewState, author = 'agent-user') => ({
    id,
    author,
    body: renderStateMarker(marker),
  });

  it('keeps only the markers in reviews written by the token account, oldest first', () => {
    const forged = { head: FROM, base: BASE, fingerprints: ['ffffffffffffffff'] };
    const reviews = [own(1, state), own(2, forged, 'someone-else'), own(3, { ...state, head: BASE })];

    const states = trustedStates(reviews, 'agent-user');

    expect(states.map((item) => item.reviewId)).toEqual([1, 3]);
  });

  it('compares logins without case, as GitHub does', () => {
    expect(trustedStates([own(1, state, 'Agent-User')], 'agent-user')).toHaveLength(1);
  });

  it('ignores reviews of deleted accounts (no author)', () => {
    const ghost = { id: 1, body: renderStateMarker(state) };

    expect(trustedStates([ghost], 'agent-user')).toEqual([]);
  });

  it('skips own reviews without a valid marker', () => {
    const reviews = [own(1, state), { id: 2, author: 'agent-user', body: 'a hand-written comment' }];

    expect(trustedStates(reviews, 'agent-user').map((item) => item.reviewId)).toEqual([1]);
  });
});
