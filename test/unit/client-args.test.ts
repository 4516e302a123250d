import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../bin/client/args';

describe('client arguments', () => {
  it('defaults to the local server, interactive, with a browser', () => {
    expect(parseCliArgs([])).toEqual({
      kind: 'run',
      options: {
        url: 'http://localhost:8787',
        region: undefined,
        json: false,
        browser: true,
        callbackPort: 8976,
        sessionId: undefined,
        forceSign: false,
        message: undefined,
      },
    });
  });

  it('joins positionals into a one-shot message', () => {
    const parsed = parseCliArgs([
      '--url',
      'https://x.lambda-url.eu-west-1.on.aws/',
      '--json',
      'list',
      'my',
      'repos',
    ]);

    expect(parsed).toMatchObject({ kind: 'run', options: { json: true, message: 'list my repos' } });
  });

  it('reads --no-browser and --callback-port', () => {
    expect(parseCliArgs(['--no-browser', '--callback-port', '9000'])).toMatchObject({
      options: { browser: false, callbackPort: 9000 },
    });
  });

  it('rejects an unknown flag', () => {
    expect(parseCliArgs(['--nope'])).toMatchObject({ kind: 'error' });
  });

  it('rejects a URL that is not http(s)', () => {
    expect(parseCliArgs(['--url', 'ftp://x'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--url'),
    });
  });
});
