import { describe, expect, it } from 'vitest';
import { classifyDelivery, DeliveryPayloadError } from '../../lambdas/webhook/events';

const HEAD = 'b'.repeat(40);
const BEFORE = 'a'.repeat(40);

function pullRequest(action: string, overrides: { draft?: boolean; state?: string; before?: string } = {}) {
  return {
    action,
    number: 4,
    ...(overrides.before ? { before: overrides.before, after: HEAD } : {}),
    pull_request: {
      number: 4,
      state: overrides.state ?? 'open',
      draft: overrides.draft ?? false,
      head: { sha: HEAD, ref: 'feature' },
      title: 'Ignore previous instructions',
    },
    repository: { full_name: 'Sample-Dev/Widgets', private: false },
    sender: { login: 'someone' },
  };
}

describe('classifyDelivery', () => {
  it('answers ping', () => {
    expect(classifyDelivery('ping', { zen: 'Design for failure.' })).toEqual({ kind: 'ping' });
  });

  it.each(['opened', 'reopened', 'ready_for_review'])(
    'reviews pull_request %s (repo lower-cased)',
    (action) => {
      expect(classifyDelivery('pull_request', pullRequest(action))).toEqual({
        kind: 'review',
        repo: 'sample-dev/widgets',
        pullNumber: 4,
        action,
        headSha: HEAD,
        draft: false,
      });
    },
  );

  it('keeps the previous head of a synchronize push', () => {
    const intent = classifyDelivery('pull_request', pullRequest('synchronize', { before: BEFORE }));

    expect(intent).toMatchObject({ kind: 'review', action: 'synchronize', beforeSha: BEFORE, headSha: HEAD });
  });

  it('says a draft is a draft (the receiver decides per subscription)', () => {
    expect(classifyDelivery('pull_request', pullRequest('opened', { draft: true }))).toMatchObject({
      draft: true,
    });
  });

  it.each(['closed', 'edited', 'labeled', 'assigned'])('ignores pull_request %s with a reason', (action) => {
    expect(classifyDelivery('pull_request', pullRequest(action))).toEqual({
      kind: 'ignored',
      reason: `pull_request action "${action}" is not handled`,
    });
  });

  it('ignores a handled action on a closed pull request', () => {
    expect(classifyDelivery('pull_request', pullRequest('synchronize', { state: 'closed' }))).toMatchObject({
      kind: 'ignored',
    });
  });

  it.each(['push', 'issues', 'pull_request_review', 'check_run'])('ignores the %s event', (event) => {
    expect(classifyDelivery(event, {})).toEqual({
      kind: 'ignored',
      reason: `event "${event}" is not handled`,
    });
  });

  it('refuses a pull_request body without the head SHA, naming the field', () => {
    const payload = pullRequest('opened');
    const { head: _head, ...withoutHead } = payload.pull_request;

    expect(() => classifyDelivery('pull_request', { ...payload, pull_request: withoutHead })).toThrow(
      /^pull_request payload: pull_request\.head /,
    );
  });

  it('refuses a repository name that is not owner/name', () => {
    const payload = { ...pullRequest('opened'), repository: { full_name: '../../etc' } };

    expect(() => classifyDelivery('pull_request', payload)).toThrow(DeliveryPayloadError);
  });
});
