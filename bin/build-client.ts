/**
 * Builds the terminal client into one self-contained file, `dist/chat.mjs` (`npm run build:client`; `prepare` runs it
 * on `npm ci`/`npm install`): the `coding-agent-chat` command of package.json's `bin`, run by plain Node, with no tsx
 * and no node_modules at run time. dist/ is git-ignored: the bundle is built, never committed.
 */
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { loadPageAssets } from './client/web/assets';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Bundled CommonJS dependencies (the AWS credential chain) `require` Node built-ins; ESM output has no `require`. */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * The chat page (`--web`) is built now and baked into the bundle: the installed client has no esbuild to build it at
 * run time, so bin/client/web/assets.ts is swapped for a module returning the built files.
 */
async function prebuiltPagePlugin(): Promise<Plugin> {
  const assets = await loadPageAssets();
  return {
    name: 'prebuilt-chat-page',
    setup(plugin) {
      plugin.onLoad({ filter: /[\\/]bin[\\/]client[\\/]web[\\/]assets\.ts$/ }, () => ({
        contents: `export async function loadPageAssets() { return ${JSON.stringify(assets)}; }`,
        loader: 'js',
      }));
    },
  };
}

/** Bundles bin/chat.ts into `outfile` (executable, with a `node` shebang), the chat page included. */
export async function buildClient(outfile: string): Promise<void> {
  await build({
    plugins: [await prebuiltPagePlugin()],
    absWorkingDir: ROOT,
    entryPoints: ['bin/chat.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` },
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outfile = process.argv[2] ?? 'dist/chat.mjs';
  await buildClient(outfile);
  console.log(`Built ${outfile}`);
}
