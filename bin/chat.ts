/**
 * The terminal client: `npm run chat -- --url <ChatUrl> ["message"]`. Everything lives in bin/client/; this file
 * only connects it to the real process (argv, stdio, signals, exit code).
 */
import { runCli } from './client/main';

const shutdown = new AbortController();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals) => {
  // A second Ctrl-C while shutting down means "now".
  if (++interrupts > 1) process.exit(130);
  shutdown.abort(new Error(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `… --json | head -3`: the reader went away. Stop quietly, as a command does on SIGPIPE, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
}

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: shutdown.signal,
});
// Nothing else should be pending, but a stray socket must not keep a finished chat alive.
process.exit();
