import { describe, expect, it } from 'vitest';
import { promptCacheSupported } from '../../lambdas/agent/bedrock';

describe('which model ids PROMPT_CACHE=auto caches for', () => {
  it.each([
    'anthropic.claude-sonnet-4-6',
    'au.anthropic.claude-sonnet-4-6',
    'global.anthropic.claude-opus-4-5-20251101-v1:0',
    'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    'anthropic.claude-opus-4-1-20250805-v1:0',
    'anthropic.claude-3-7-sonnet-20250219-v1:0',
    'apac.anthropic.claude-3-5-haiku-20241022-v1:0',
    'arn:aws:bedrock:ap-southeast-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
    'arn:aws:bedrock:ap-southeast-2:123456789012:inference-profile/au.anthropic.claude-sonnet-4-6',
  ])('caches for %s', (modelId) => {
    expect(promptCacheSupported(modelId)).toBe(true);
  });

  it.each([
    'anthropic.claude-3-haiku-20240307-v1:0',
    'anthropic.claude-3-5-sonnet-20240620-v1:0',
    'anthropic.claude-v2:1',
    'amazon.nova-pro-v1:0',
    'meta.llama3-70b-instruct-v1:0',
    'arn:aws:bedrock:ap-southeast-2:123456789012:application-inference-profile/abc123',
    'test-model',
  ])('does not cache for %s', (modelId) => {
    expect(promptCacheSupported(modelId)).toBe(false);
  });
});
