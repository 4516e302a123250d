import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../lambdas/config';

const validEnv = {
  AWS_REGION: 'ap-southeast-2',
  MODEL_ID: 'au.anthropic.claude-sonnet-4-5-20250929-v1:0',
  SESSIONS_TABLE: 'agent-sessions',
  PLANS_TABLE: 'agent-plans',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('accepts a valid environment and fills sensible defaults', () => {
    const config = loadConfig(validEnv);

    expect(config.OAUTH_PROVIDER_NAME).toBe('github-provider');
    expect(config.OAUTH_SCOPES).toEqual(['repo', 'read:user']);
    expect(config.OAUTH_RETURN_URLS).toEqual(['http://localhost:8976/oauth/callback']);
    expect(config.REVIEW_PATH_PREFIXES).toEqual(['agent-tasks/']);
    expect(config.IDENTITY_PROVIDER).toBe('agentcore');
    expect(config.MAX_TOOL_ITERATIONS).toBe(8);
  });

  it.each(['AWS_REGION', 'MODEL_ID', 'SESSIONS_TABLE', 'PLANS_TABLE'])(
    'names %s when it is missing',
    (name) => {
      const env: NodeJS.ProcessEnv = { ...validEnv };
      delete env[name];

      expect(problemsOf(env)).toEqual([`${name}: is missing`]);
    },
  );

  it('names every bad variable at once', () => {
    const problems = problemsOf({ ...validEnv, MODEL_ID: undefined, MAX_TOOL_ITERATIONS: 'many' });

    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'MAX_TOOL_ITERATIONS',
      'MODEL_ID',
    ]);
  });

  it('reads an empty review prefix list as "review everything"', () => {
    expect(loadConfig({ ...validEnv, REVIEW_PATH_PREFIXES: '' }).REVIEW_PATH_PREFIXES).toEqual([]);
  });

  it('posts findings from minor up and runs the self-check with the main model by default', () => {
    const config = loadConfig(validEnv);

    expect([config.REVIEW_SEVERITY_THRESHOLD, config.SELF_CHECK, config.SELF_CHECK_MODEL_ID]).toEqual([
      'minor',
      'on',
      undefined,
    ]);
  });

  it('rejects an unknown severity threshold, naming the choices', () => {
    expect(problemsOf({ ...validEnv, REVIEW_SEVERITY_THRESHOLD: 'urgent' })).toEqual([
      'REVIEW_SEVERITY_THRESHOLD: must be one of critical, major, minor, nit',
    ]);
  });

  it('rejects a return URL that is not http(s)', () => {
    expect(problemsOf({ ...validEnv, OAUTH_RETURN_URLS: 'javascript:alert(1)' })[0]).toMatch(
      /^OAUTH_RETURN_URLS/,
    );
  });

  it('requires a token for the static identity provider', () => {
    expect(problemsOf({ ...validEnv, IDENTITY_PROVIDER: 'static' })).toEqual([
      'GITHUB_TOKEN: required when IDENTITY_PROVIDER is "static"',
    ]);
  });
});

describe('redactConfig', () => {
  it('never exposes the GitHub token', () => {
    const config = loadConfig({
      ...validEnv,
      IDENTITY_PROVIDER: 'static',
      GITHUB_TOKEN: 'ghp_supersecret123',
    });

    const logged = JSON.stringify(redactConfig(config));

    expect(logged).not.toContain('ghp_supersecret123');
    expect(logged).toContain('"GITHUB_TOKEN":"[REDACTED]"');
  });

  it('does not echo an invalid secret value in the error', () => {
    const problems = problemsOf({ ...validEnv, GITHUB_TOKEN: '' });

    expect(problems.join(' ')).not.toMatch(/ghp_/);
    expect(problems[0]).toMatch(/^GITHUB_TOKEN/);
  });
});

describe('prompt caching setting', () => {
  it('leaves PROMPT_CACHE to the model (auto) by default and names a wrong value', () => {
    expect(loadConfig(validEnv).PROMPT_CACHE).toBe('auto');
    expect(loadConfig({ ...validEnv, PROMPT_CACHE: 'off' }).PROMPT_CACHE).toBe('off');
    expect(problemsOf({ ...validEnv, PROMPT_CACHE: 'yes' })).toEqual([
      expect.stringMatching(/^PROMPT_CACHE: /),
    ]);
  });
});

describe('metrics settings', () => {
  it('writes no metrics unless METRICS=emf, in the GitHubCodingAgent namespace by default', () => {
    expect(loadConfig(validEnv)).toMatchObject({
      METRICS: 'off',
      METRICS_NAMESPACE: 'GitHubCodingAgent',
      METRICS_SERVICE: 'github-coding-agent',
      MODEL_PRICES: {},
    });
  });

  it('reads MODEL_PRICES as JSON prices per model id', () => {
    const prices = '{"au.anthropic.claude-sonnet-4-6":{"input":3.3,"output":16.5,"cacheRead":0.33}}';

    expect(loadConfig({ ...validEnv, MODEL_PRICES: prices }).MODEL_PRICES).toEqual({
      'au.anthropic.claude-sonnet-4-6': { input: 3.3, output: 16.5, cacheRead: 0.33 },
    });
  });

  it('names MODEL_PRICES when it is not JSON or a price is wrong', () => {
    expect(problemsOf({ ...validEnv, MODEL_PRICES: '{not json' })).toEqual([
      expect.stringMatching(/^MODEL_PRICES: must be a JSON object/),
    ]);
    expect(problemsOf({ ...validEnv, MODEL_PRICES: '{"m":{"input":-1,"output":2}}' })).toEqual([
      expect.stringMatching(/^MODEL_PRICES\.m\.input: must be a price/),
    ]);
  });

  it('refuses an AWS/ namespace', () => {
    expect(problemsOf({ ...validEnv, METRICS_NAMESPACE: 'AWS/Lambda' })).toEqual([
      expect.stringMatching(/^METRICS_NAMESPACE: must be a CloudWatch namespace/),
    ]);
  });
});

describe('structured output setting', () => {
  it('leaves STRUCTURED_OUTPUT to the model (auto) by default and names a wrong value', () => {
    expect(loadConfig(validEnv).STRUCTURED_OUTPUT).toBe('auto');
    expect(loadConfig({ ...validEnv, STRUCTURED_OUTPUT: 'on' }).STRUCTURED_OUTPUT).toBe('on');
    expect(problemsOf({ ...validEnv, STRUCTURED_OUTPUT: 'json' })).toEqual([
      expect.stringMatching(/^STRUCTURED_OUTPUT: /),
    ]);
  });
});

describe('token budget setting', () => {
  it('leaves USER_TOKENS_PER_HOUR off (0) by default and names a negative value', () => {
    expect(loadConfig(validEnv).USER_TOKENS_PER_HOUR).toBe(0);
    expect(loadConfig({ ...validEnv, USER_TOKENS_PER_HOUR: '50000' }).USER_TOKENS_PER_HOUR).toBe(50_000);
    expect(problemsOf({ ...validEnv, USER_TOKENS_PER_HOUR: '-1' })).toEqual([
      expect.stringMatching(/^USER_TOKENS_PER_HOUR: /),
    ]);
  });
});
