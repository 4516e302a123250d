/**
 * Builds the terminal client into one self-contained file, `dist/chat.mjs` (`npm run build:client`; `prepare` runs it
 * on `npm ci`/`npm install`): the `coding-agent-chat` command of package.json's `bin`, run by plain Node, with no tsx
 * and no node_modules at run time. dist/ is git-ignored: the bundle is built, never committed.
 */
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Bundled CommonJS dependencies (the AWS credential chain) `require` Node built-ins; ESM output has no `require`. */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Bundles bin/chat.ts into `outfile` (executable, with a `node` shebang). */
export async function buildClient(outfile: string): Promise<void> {
  await build({
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
