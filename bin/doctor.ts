/**
 * `npm run doctor`: checks a deployment before and after `cdk deploy`. Everything lives in bin/doctor/; this file
 * only connects it to the real process (argv, stdio, credentials, exit code).
 */
import { readFile } from 'node:fs/promises';

// Node 20 is supported here; the SDK's notice about its future releases is noise for a command-line check.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
const { createDoctorPorts } = await import('./doctor/adapters');
const { runDoctorCli } = await import('./doctor/main');

process.exitCode = await runDoctorCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  readCdkJson: async (path) => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  },
  createPorts: (settings, options) =>
    createDoctorPorts({
      region: settings.region,
      credentials: defaultProvider(options.profile ? { profile: options.profile } : {}),
      env: process.env,
    }),
});
// Keep-alive sockets of the SDK clients must not hold a finished run open.
process.exit();
