import { describe, expect, it } from 'vitest';
import { ConsentRequiredError } from '../../lambdas/agent/tool';
import { parseAutoReviewJob } from '../../lambdas/autoreview/job';
import type { AutoReviewJob } from '../../lambdas/autoreview/ports';
import { autoReviewPlanId, isRevokedAuthorization, modeForJob } from '../../lambdas/autoreview/run-review';
import { GitHubAuthError } from '../../lambdas/github/errors';
import { IdentityError } from '../../lambdas/identity/errors';

const job: AutoReviewJob = {
  deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  repo: 'sample-dev/widgets',
  pullNumber: 4,
  action: 'synchronize',
  headSha: 'b'.repeat(40),
  beforeSha: 'a'.repeat(40),
  draft: false,
  subscriberUserId: 'user-1',
};

describe('unattended review helpers', () => {
  it('reviews an opened PR in full, and a push, reopen or ready-for-review only where it changed', () => {
    const { beforeSha: _before, ...withoutBefore } = job;

    expect(modeForJob({ ...job, action: 'opened' })).toBe('full');
    expect(modeForJob(job)).toBe('incremental');
    expect(modeForJob(withoutBefore)).toBe('incremental');
    expect(modeForJob({ ...job, action: 'reopened' })).toBe('incremental');
    expect(modeForJob({ ...job, action: 'ready_for_review' })).toBe('incremental');
  });

  it('derives one plan id per delivery and subscriber, so a retry finds its own plan', () => {
    expect(autoReviewPlanId(job)).toBe(autoReviewPlanId({ ...job }));
    expect(autoReviewPlanId(job)).not.toBe(autoReviewPlanId({ ...job, subscriberUserId: 'user-2' }));
    expect(autoReviewPlanId(job)).not.toBe(autoReviewPlanId({ ...job, deliveryId: 'another' }));
    expect(autoReviewPlanId(job)).toMatch(/^a_[A-Za-z0-9_-]{16}$/);
  });

  it('treats a needed consent, a refused token and a failed consent as a broken subscription', () => {
    expect(isRevokedAuthorization(new ConsentRequiredError('https://auth', 'urn:s', 'state'))).toBe(true);
    expect(isRevokedAuthorization(new GitHubAuthError('401'))).toBe(true);
    expect(isRevokedAuthorization(new IdentityError('consent_failed', 'failed'))).toBe(true);
  });

  it('retries what is not about the subscriber: misconfiguration, timeouts, anything else', () => {
    expect(isRevokedAuthorization(new IdentityError('identity_misconfigured', 'denied'))).toBe(false);
    expect(isRevokedAuthorization(new Error('socket hang up'))).toBe(false);
  });
});

describe('queue message → job', () => {
  it('reads a job back from its JSON', () => {
    expect(parseAutoReviewJob(JSON.stringify(job))).toEqual(job);
  });

  it('refuses a body that is not JSON', () => {
    expect(() => parseAutoReviewJob('not json')).toThrow('The queue message is not JSON');
  });

  it('refuses unknown fields and names the bad ones', () => {
    expect(() => parseAutoReviewJob(JSON.stringify({ ...job, token: 'x' }))).toThrow(/token/);
    expect(() => parseAutoReviewJob(JSON.stringify({ ...job, repo: 'Sample-Dev/Widgets' }))).toThrow(/repo/);
  });
});
