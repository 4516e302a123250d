import { describe, expect, it } from 'vitest';
import type { GitHubRequestError } from '../../lambdas/github/errors';
import { describeGitHubError, errorLabel, truncate } from '../../lambdas/github/format';

function githubError(
  status: number,
  data: unknown,
  headers: Record<string, string> = {},
): GitHubRequestError {
  return Object.assign(new Error('ignored'), {
    name: 'HttpError' as const,
    status,
    response: { status, headers, data },
  });
}

const context = { action: 'create an issue in sample-dev/widgets' };

describe('describeGitHubError', () => {
  it('joins GitHub string errors (reviews) as they are', () => {
    const error = githubError(422, {
      message: 'Unprocessable Entity',
      errors: ['Pull request review thread line must be part of the diff'],
    });

    expect(describeGitHubError(error, context)).toBe(
      'Could not create an issue in sample-dev/widgets: GitHub rejected the request (422): Pull request review thread line must be part of the diff',
    );
  });

  it('spells out resource/field/code errors and prefers their own message', () => {
    const error = githubError(422, {
      message: 'Validation Failed',
      errors: [
        { resource: 'Issue', field: 'title', code: 'missing_field' },
        { resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for a:b.' },
      ],
    });

    expect(describeGitHubError(error, context)).toContain(
      'Issue title is required; A pull request already exists for a:b.',
    );
  });

  it('says when an exhausted rate limit resets', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    const error = githubError(
      403,
      { message: 'API rate limit exceeded' },
      {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(now / 1000 + 1800),
      },
    );

    expect(describeGitHubError(error, context, now)).toContain(
      'it resets at 2025-06-01T12:30:00Z (in about 30 minutes)',
    );
    expect(errorLabel(error)).toBe('rate limit exhausted');
  });

  it('reports a secondary rate limit with its retry-after', () => {
    const error = githubError(
      403,
      { message: 'You have exceeded a secondary rate limit.' },
      { 'retry-after': '30' },
    );

    expect(describeGitHubError(error, context)).toContain('Wait about 30 seconds');
    expect(errorLabel(error)).toBe('secondary rate limit');
  });

  it('hints at scopes for a 403 that names none', () => {
    const error = githubError(403, { message: 'Must have admin rights to Repository.' });

    expect(describeGitHubError(error, context)).toBe(
      'Could not create an issue in sample-dev/widgets: GitHub refused (403 Must have admin rights to Repository.). The token may lack a required scope (repo), or your account may not have permission here.',
    );
  });

  it("uses GitHub's message for 410 Gone", () => {
    expect(
      describeGitHubError(githubError(410, { message: 'Issues are disabled for this repo' }), context),
    ).toBe('Could not create an issue in sample-dev/widgets: Issues are disabled for this repo (410).');
  });

  it('never repeats request details such as the authorization header', () => {
    const error = Object.assign(githubError(500, { message: 'Server Error' }), {
      request: { headers: { authorization: 'token gho_secret' } },
    });

    expect(describeGitHubError(error, context)).not.toContain('gho_secret');
  });
});

describe('truncate', () => {
  it('keeps short text and marks what it cut from long text', () => {
    expect(truncate('short', 10)).toEqual({ text: 'short', truncated: false });
    expect(truncate('x'.repeat(15), 10)).toEqual({
      text: `${'x'.repeat(10)}\n… [5 more characters not shown]`,
      truncated: true,
    });
  });
});
