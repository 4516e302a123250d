import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A benchmark server running in a child process (see server-process.ts). */
export interface BenchServer {
  url: string;
  /** The child's dynalite endpoint, for seeding sessions. */
  dynamo: string;
  sessionsTable: string;
  close(): Promise<void>;
}

/** Starts `bench/server-process.ts <mode>` and waits for its address line. */
export async function startBenchServer(mode: 'instant' | 'relay' | 'history'): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server-process.ts', mode], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const info = JSON.parse(first) as { url: string; dynamo: string; sessionsTable: string };
  return {
    ...info,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
