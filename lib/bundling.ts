import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aws_lambda as lambda, aws_lambda_nodejs as nodejs } from 'aws-cdk-lib';

/** The repository root: lib/ lives one level below it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The bundles' replacement for the SDK's default credential chain. */
const ENV_CREDENTIALS = join(PROJECT_ROOT, 'lambdas', 'env-credentials.ts');

/** Every function runs the same runtime and architecture (cdk-nag L1 wants the newest Node runtime). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const FUNCTION_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * Lets bundled ESM code `require` Node built-ins: some dependencies are CommonJS and esbuild's ESM output has no
 * `require` of its own.
 */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** Quotes a path for the shell that runs command hooks. */
function shellQuote(path: string): string {
  return `'${path.replaceAll("'", "'\\''")}'`;
}

/**
 * esbuild options shared by every function: local bundling (no Docker), ESM, minified, with source maps, and the
 * AWS SDK bundled at the exact version in package-lock.json (the runtime's copy may lag behind AgentCore's API).
 * With `copyPrompts`, the repository's `prompts/` folder is copied next to the bundle, where lambdas/prompts.ts reads
 * `${LAMBDA_TASK_ROOT}/prompts/<name>.md`.
 */
export function bundlingOptions(options: { copyPrompts: boolean }): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: REQUIRE_SHIM,
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    bundleAwsSDK: true,
    externalModules: [],
    // Lambda's credentials are always in the environment: skip the SDK's full provider chain (lambdas/env-credentials.ts).
    esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': ENV_CREDENTIALS },
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) =>
        options.copyPrompts ? [copyPromptsCommand(inputDir, outputDir)] : [],
    },
  };
}

/** The shell command that copies `prompts/` into the bundle; a missing folder copies nothing rather than failing. */
export function copyPromptsCommand(inputDir: string, outputDir: string): string {
  const source = shellQuote(join(inputDir, 'prompts'));
  return `if [ -d ${source} ]; then cp -R ${source} ${shellQuote(join(outputDir, 'prompts'))}; fi`;
}

/** Whether the repository has a prompts/ folder to ship (the stack warns when it does not). */
export function hasPrompts(projectRoot: string = PROJECT_ROOT): boolean {
  return existsSync(join(projectRoot, 'prompts'));
}

/** Source maps need this flag to turn minified stack traces back into TypeScript lines. */
export const SOURCE_MAP_ENV = { NODE_OPTIONS: '--enable-source-maps' } as const;
