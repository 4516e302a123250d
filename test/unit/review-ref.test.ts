import { describe, expect, it } from 'vitest';
import { InvalidPullRequestRefError } from '../../lambdas/review/errors';
import { parsePullRequestRef } from '../../lambdas/review/ref';
import { planReviewInput, resolvePullRequest } from '../../lambdas/review/tool';

describe('parsePullRequestRef', () => {
  it.each([
    ['https://github.com/octo/widgets/pull/12', 12],
    ['https://github.com/octo/widgets/pull/12/files', 12],
    ['https://github.com/octo/widgets/pull/7?diff=split', 7],
    ['octo/widgets#3', 3],
    ['  octo/widgets#3  ', 3],
  ])('reads %s', (text, number) => {
    expect(parsePullRequestRef(text)).toEqual({ owner: 'octo', repo: 'widgets', number });
  });

  it('accepts a GitHub Enterprise pull request URL', () => {
    expect(parsePullRequestRef('https://ghe.example.com/team/app.js/pull/9')).toEqual({
      owner: 'team',
      repo: 'app.js',
      number: 9,
    });
  });

  it.each([
    'widgets#12',
    'https://github.com/octo/widgets/issues/12',
    'https://github.com/octo/widgets/pull/0',
    'octo/../x#1',
    'javascript:alert(1)',
  ])('refuses %s', (text) => {
    expect(() => parsePullRequestRef(text)).toThrow(InvalidPullRequestRefError);
  });
});

describe('plan_pr_review input', () => {
  it('takes owner, repo and pull_number', () => {
    const input = planReviewInput.parse({ owner: 'octo', repo: 'widgets', pull_number: 5 });

    expect(resolvePullRequest(input)).toEqual({ owner: 'octo', repo: 'widgets', number: 5 });
  });

  it('takes repo written as owner/name', () => {
    const input = planReviewInput.parse({ repo: 'octo/widgets', pull_number: 5 });

    expect(resolvePullRequest(input)).toEqual({ owner: 'octo', repo: 'widgets', number: 5 });
  });

  it('takes a URL', () => {
    const input = planReviewInput.parse({ pull_request: 'https://github.com/octo/widgets/pull/12' });

    expect(resolvePullRequest(input).number).toBe(12);
  });

  it('refuses input that names no pull request', () => {
    expect(planReviewInput.safeParse({ owner: 'octo' }).success).toBe(false);
  });
});
