import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClient } from '../../bin/build-client';

/**
 * The installed client (`npm run build:client`'s dist/chat.mjs, run by plain Node from a folder without node_modules)
 * serves the page from the files baked into it: no esbuild at run time.
 */

let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(async () => {
  child?.kill('SIGTERM');
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Resolves with the page address the client prints. */
function printedAddress(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    process.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const found = /http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+/.exec(out);
      if (found) resolve(found[0]);
    });
    process.on('exit', (code) =>
      reject(new Error(`exited with ${code} before printing the address: ${out}`)),
    );
  });
}

describe('installed client --web', () => {
  it('serves the prebuilt page and its script from the bundle', async () => {
    dir = await mkdtemp(join(tmpdir(), 'web-bundle-'));
    const bundle = join(dir, 'chat.mjs');
    await buildClient(bundle);

    child = spawn(
      process.execPath,
      [bundle, '--web', '--port', '0', '--no-open', '--url', 'http://127.0.0.1:9'],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    const address = new URL(await printedAddress(child));
    const html = await fetch(address.origin);
    const script = await fetch(`${address.origin}/app.js`);

    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await html.text()).toContain('<script src="/app.js" defer></script>');
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(10_000);
  });
});
