import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { GitHubAccess } from '../../lambdas/github/access';
import { createGitHubTools, isValidRepoRef, repoRef } from '../../lambdas/github/tools';

const unusedAccess: GitHubAccess = {
  withOctokit: () => Promise.reject(new Error('not used in schema tests')),
};
const tools = createGitHubTools(() => unusedAccess);
const byName = (name: string) => {
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool;
};

describe('GitHub tool definitions', () => {
  it('offers the seven GitHub tools, reads marked read-only', () => {
    expect(tools.map((tool) => [tool.name, tool.readOnly])).toEqual([
      ['list_github_repos', true],
      ['get_repo_info', true],
      ['create_github_issue', false],
      ['list_github_issues', true],
      ['create_pull_request', false],
      ['get_pull_request', true],
      ['list_pull_request_files', true],
    ]);
  });

  it.each(tools.map((tool) => [tool.name, tool] as const))(
    '%s converts to a JSON Schema object whose properties are all described',
    (_name, tool) => {
      const schema = z.toJSONSchema(tool.input, { io: 'input' }) as {
        type: string;
        properties: Record<string, { description?: string }>;
      };

      expect(schema.type).toBe('object');
      for (const [property, definition] of Object.entries(schema.properties)) {
        expect(definition.description, property).toMatch(/\w/);
      }
    },
  );

  it('converts in output mode too, requiring no field that has a default', () => {
    const schema = z.toJSONSchema(byName('list_github_issues').input) as { required?: string[] };

    expect(schema.required).toEqual(['repo']);
  });
});

describe('repository input', () => {
  const info = byName('get_repo_info').input;

  it('accepts owner and repo, or repo as "owner/name"', () => {
    expect(info.safeParse({ owner: 'sample-dev', repo: 'widgets' }).success).toBe(true);
    expect(info.safeParse({ repo: 'sample-dev/widgets' }).success).toBe(true);
    expect(info.safeParse({ repo: 'octo_org/my.repo-2' }).success).toBe(true);
  });

  it('requires an owner when repo has none', () => {
    const result = info.safeParse({ repo: 'widgets' });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('owner is required unless repo is written as "owner/name"');
  });

  it.each([
    [{ owner: 'sample-dev', repo: 'my repo!' }, 'repo must be a repository name'],
    [{ owner: '-bad', repo: 'widgets' }, 'owner must be a GitHub account name'],
    [{ owner: 'a'.repeat(40), repo: 'widgets' }, 'owner must be a GitHub account name'],
    [{ owner: 'sample-dev', repo: '..' }, 'repo must be a repository name'],
    [{ repo: 'a/b/c' }, 'repo must be a repository name'],
    [{ owner: 'someone-else', repo: 'sample-dev/widgets' }, 'contradicts'],
  ])('rejects %j', (input, message) => {
    const result = info.safeParse(input);

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join(' ')).toContain(message);
  });

  it('splits "owner/name" and passes owner + repo through', () => {
    expect(repoRef({ repo: 'sample-dev/widgets' })).toEqual({ owner: 'sample-dev', repo: 'widgets' });
    expect(repoRef({ owner: 'sample-dev', repo: 'widgets' })).toEqual({
      owner: 'sample-dev',
      repo: 'widgets',
    });
  });

  it('checks names for callers outside the tools', () => {
    expect(isValidRepoRef({ owner: 'sample-dev', repo: 'widgets' })).toBe(true);
    expect(isValidRepoRef({ owner: 'sample dev', repo: 'widgets' })).toBe(false);
  });
});

describe('other inputs', () => {
  it('refuses an empty issue title', () => {
    const result = byName('create_github_issue').input.safeParse({ repo: 'a/b', title: '   ' });

    expect(result.error?.issues[0]?.message).toBe('title must not be empty');
  });

  it('refuses a list limit above 100', () => {
    expect(byName('list_github_repos').input.safeParse({ limit: 101 }).success).toBe(false);
  });

  it('needs a positive whole pull request number', () => {
    expect(byName('get_pull_request').input.safeParse({ repo: 'a/b', pull_number: 0 }).success).toBe(false);
    expect(byName('get_pull_request').input.safeParse({ repo: 'a/b', pull_number: 1.5 }).success).toBe(false);
  });
});
