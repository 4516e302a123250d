import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSessionState, stateFilePath } from '../../bin/client/session-state';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the last session per chat URL', () => {
  it('lives under XDG_CONFIG_HOME, else ~/.config; nowhere without either', () => {
    expect(stateFilePath({ XDG_CONFIG_HOME: '/x' })).toBe('/x/github-coding-agent/sessions.json');
    expect(stateFilePath({ HOME: '/home/a' })).toBe('/home/a/.config/github-coding-agent/sessions.json');
    expect(stateFilePath({})).toBeUndefined();
  });

  it('is remembered per URL; a trailing slash or 127.0.0.1 for localhost is the same URL', async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-state-'));
    const state = createSessionState(join(dir, 'sessions.json'));

    await state.remember('http://127.0.0.1:8787', 'local-1');
    await state.remember('https://abc.lambda-url.eu-west-1.on.aws/', 'remote-1');

    expect(await state.last('http://localhost:8787/')).toBe('local-1');
    expect(await state.last('https://abc.lambda-url.eu-west-1.on.aws')).toBe('remote-1');
    expect(await state.last('http://localhost:8788')).toBeUndefined();
  });

  it('keeps ids only, and a broken file reads as empty instead of failing the chat', async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-state-'));
    const path = join(dir, 'sessions.json');
    const state = createSessionState(path, () => new Date('2026-01-01T00:00:00Z'));
    await state.remember('http://localhost:8787', 's1');

    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      'http://localhost:8787': { session_id: 's1', updated_at: '2026-01-01T00:00:00.000Z' },
    });
    await writeFile(path, '{not json');
    expect(await state.last('http://localhost:8787')).toBeUndefined();
  });
});
