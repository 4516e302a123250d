import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { percentile } from './stats';

export interface BundleResult {
  bytes: number;
  gzipBytes: number;
  runs: number;
  importMs: { p50: number; p95: number };
}

/**
 * (d) Synthesizes the stack (which bundles the functions with esbuild exactly as a deploy does), finds the chat
 * function's asset (prompts/ and the /chat/stream route), and times `import()` of it in fresh Node processes with the
 * environment Lambda would give it.
 */
export async function measureBundle(runs: number): Promise<BundleResult> {
  const out = mkdtempSync(join(tmpdir(), 'bench-cdk-'));
  try {
    execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
    });
    // The auto-review worker ships prompts/ too: the chat function's bundle is the one serving /chat/stream.
    const asset = readdirSync(out)
      .filter((name) => name.startsWith('asset.'))
      .map((name) => join(out, name))
      .find(
        (dir) =>
          existsSync(join(dir, 'prompts')) &&
          existsSync(join(dir, 'index.mjs')) &&
          readFileSync(join(dir, 'index.mjs'), 'utf8').includes('/chat/stream'),
      );
    if (!asset)
      throw new Error(`No chat function asset (index.mjs serving /chat/stream + prompts/) in ${out}`);
    const bundle = join(asset, 'index.mjs');
    const code = readFileSync(bundle);

    const preload = join(out, 'lambda-globals.mjs');
    // The Lambda runtime defines these before loading the handler module.
    writeFileSync(
      preload,
      'globalThis.awslambda = { streamifyResponse: (h) => h, HttpResponseStream: { from: (s) => s } };\n',
    );
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const output = execFileSync(
        process.execPath,
        [
          '--import',
          preload,
          '--input-type=module',
          '-e',
          `const t = performance.now(); await import(${JSON.stringify(bundle)}); console.log(performance.now() - t);`,
        ],
        {
          env: {
            PATH: process.env.PATH,
            AWS_REGION: 'ap-southeast-2',
            AWS_ACCESS_KEY_ID: 'bench',
            AWS_SECRET_ACCESS_KEY: 'bench',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            LAMBDA_TASK_ROOT: asset,
            MODEL_ID: 'au.anthropic.claude-sonnet-4-6',
            SESSIONS_TABLE: 'bench-sessions',
            PLANS_TABLE: 'bench-plans',
            LOG_LEVEL: 'ERROR',
          },
        },
      );
      times.push(Number(output.toString().trim().split('\n').at(-1)));
    }
    return {
      bytes: statSync(bundle).size,
      gzipBytes: gzipSync(code).length,
      runs,
      importMs: { p50: percentile(times, 50), p95: percentile(times, 95) },
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
