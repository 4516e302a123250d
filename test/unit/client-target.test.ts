import { describe, expect, it } from 'vitest';
import { resolveChatUrl, TargetError } from '../../bin/client/target';

const OUTPUTS = JSON.stringify({
  GitHubCodingAgent: {
    ChatUrl: 'https://abcdefghij.lambda-url.ap-southeast-2.on.aws/',
    GitHubCallbackUrl: 'https://example.com/callback',
  },
});
const reader = (files: Record<string, string>) => async (path: string) => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
  return text;
};

describe('the chat URL', () => {
  it('comes from --url first, even with CHAT_URL set', async () => {
    const target = await resolveChatUrl({ url: 'http://127.0.0.1:9000' }, { CHAT_URL: 'https://other/' });

    expect(target).toEqual({ url: 'http://127.0.0.1:9000', source: '--url' });
  });

  it('comes from the ChatUrl output of `cdk deploy --outputs-file`', async () => {
    const target = await resolveChatUrl(
      { outputsFile: 'cdk-outputs.json' },
      {},
      reader({ 'cdk-outputs.json': OUTPUTS }),
    );

    expect(target).toEqual({
      url: 'https://abcdefghij.lambda-url.ap-southeast-2.on.aws/',
      source: '--outputs-file',
    });
  });

  it('comes from CHAT_URL, else the local server', async () => {
    expect(await resolveChatUrl({}, { CHAT_URL: 'https://x.lambda-url.eu-west-1.on.aws/' })).toMatchObject({
      source: 'CHAT_URL',
    });
    expect(await resolveChatUrl({}, {})).toEqual({ url: 'http://localhost:8787', source: 'default' });
  });

  it('explains an outputs file without a ChatUrl, or one that cannot be read', async () => {
    const none = resolveChatUrl({ outputsFile: 'o.json' }, {}, reader({ 'o.json': '{"Other":{"X":"y"}}' }));
    const missing = resolveChatUrl({ outputsFile: 'gone.json' }, {}, reader({}));

    await expect(none).rejects.toThrow(
      /o\.json has no ChatUrl output: write it with `npx cdk deploy --outputs-file o\.json`/,
    );
    await expect(missing).rejects.toBeInstanceOf(TargetError);
  });

  it('refuses a CHAT_URL that is not an http(s) URL', async () => {
    await expect(resolveChatUrl({}, { CHAT_URL: 'ftp://x' })).rejects.toThrow(
      /CHAT_URL must be an http\(s\) URL/,
    );
  });
});
