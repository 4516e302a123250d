import { describe, expect, it } from 'vitest';
import { isFollowUp, parseCliArgs } from '../../bin/client/args';

describe('client arguments', () => {
  it('defaults to the local server, interactive, with a browser', () => {
    expect(parseCliArgs([])).toEqual({
      kind: 'run',
      options: {
        url: undefined,
        outputsFile: undefined,
        region: undefined,
        profile: undefined,
        json: false,
        browser: true,
        callbackPort: 8976,
        session: { kind: 'default' },
        forceSign: false,
        message: undefined,
        web: false,
        webPort: 8789,
        openPage: true,
      },
    });
  });

  it('reads --web with --port and --no-open', () => {
    expect(parseCliArgs(['--web', '--port', '0', '--no-open'])).toMatchObject({
      kind: 'run',
      options: { web: true, webPort: 0, openPage: false },
    });
  });

  it('refuses --web with a message or --json, and --port without --web', () => {
    expect(parseCliArgs(['--web', 'hello'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--web'),
    });
    expect(parseCliArgs(['--web', '--json'])).toMatchObject({ kind: 'error' });
    expect(parseCliArgs(['--port', '9000'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--web'),
    });
    expect(parseCliArgs(['--web', '--port', '70000'])).toMatchObject({ kind: 'error' });
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

  it('refuses an empty message instead of starting an interactive session', () => {
    expect(parseCliArgs([''])).toMatchObject({ kind: 'error', message: expect.stringContaining('empty') });
    expect(parseCliArgs(['  ', ' '])).toMatchObject({ kind: 'error' });
  });

  it('reads the session choice: --continue/-c, --new, --session', () => {
    expect(parseCliArgs(['-c', 'hi'])).toMatchObject({ options: { session: { kind: 'continue' } } });
    expect(parseCliArgs(['--continue'])).toMatchObject({ options: { session: { kind: 'continue' } } });
    expect(parseCliArgs(['--new', 'approve'])).toMatchObject({ options: { session: { kind: 'new' } } });
    expect(parseCliArgs(['--session', 'test-session'])).toMatchObject({
      options: { session: { kind: 'id', id: 'test-session' } },
    });
  });

  it('refuses two session choices at once, and a malformed session id', () => {
    expect(parseCliArgs(['-c', '--new'])).toMatchObject({ kind: 'error' });
    expect(parseCliArgs(['--session', 'a b'])).toMatchObject({ kind: 'error' });
  });

  it('reads --version, --profile and --outputs-file', () => {
    expect(parseCliArgs(['-v'])).toEqual({ kind: 'version' });
    expect(parseCliArgs(['--profile', 'dev', '--outputs-file', 'out.json'])).toMatchObject({
      options: { profile: 'dev', outputsFile: 'out.json' },
    });
  });

  it('treats a one-shot approve, cancel, yes or no as a follow-up of the last session', () => {
    expect(['approve', 'Approve p_x1', 'cancel w_2', 'yes', 'no'].map(isFollowUp)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['list my repos', 'yesterday', 'review x/y#1'].map(isFollowUp)).toEqual([false, false, false]);
  });
});
