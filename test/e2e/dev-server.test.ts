import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { chat, exchange, textOf } from '../support/sse-client';

let child: ChildProcess | undefined;
let dynamo: LocalDynamo | undefined;

const blockers: Server[] = [];

afterEach(async () => {
  child?.kill('SIGTERM');
  child = undefined;
  for (const blocker of blockers.splice(0)) await new Promise((resolve) => blocker.close(resolve));
  await dynamo?.close();
  dynamo = undefined;
});

const OFFLINE_ENV = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' };

/** Runs `npm run dev`'s entry point as a user would (or through npm itself) and waits for its banner. */
async function startDev(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { viaNpm?: boolean } = {},
): Promise<{ url: string; banner: string[]; process: ChildProcess }> {
  const [command, commandArgs] = options.viaNpm
    ? ['npm', ['run', 'dev', '--', ...args]]
    : [process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args]];
  const spawned = spawn(command, commandArgs, {
    env: { ...process.env, ...env, ...OFFLINE_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = spawned;
  const banner: string[] = [];
  const lines = createInterface({ input: spawned.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      banner.push(line);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match?.[1]) resolve(match[1]);
    });
    spawned.once('exit', (code) => reject(new Error(`dev server exited with ${code}: ${banner.join('\n')}`)));
  });
  return { url, banner, process: spawned };
}

/** A port something else is listening on. */
async function busyPort(): Promise<number> {
  const blocker = createServer();
  blockers.push(blocker);
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  return (blocker.address() as { port: number }).port;
}

/** Whether anything accepts connections at `url` (a refused fetch means the server is gone). */
async function accepting(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

describe('npm run dev', () => {
  it('starts offline on a fresh machine and answers a chat with a tool call', async () => {
    const { url, banner } = await startDev(['--offline', '--port', '0', '--user', 'fresh']);

    const health = await exchange(url, '/health');
    const answer = await chat(url, { message: 'what time is it?' });

    expect(banner.join('\n')).toContain('Signed in as: arn:aws:iam::000000000000:user/fresh');
    expect(health.json).toEqual({ status: 'healthy', agent_ready: true });
    expect(answer.events.map((event) => event.type)).toEqual([
      'session',
      'token',
      'tool_use',
      'tool_result',
      'token',
      'done',
    ]);
    expect(textOf(answer.events)).toContain('UTC');
  });

  it("a busy port gets the script's own message, not a stack trace", async () => {
    const port = await busyPort();

    const result = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const spawned = spawn(
        process.execPath,
        ['--import', 'tsx', 'bin/dev.ts', '--offline', '--port', String(port)],
        {
          env: { ...process.env, ...OFFLINE_ENV },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      spawned.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString('utf8');
      });
      spawned.on('close', (code) => resolve({ code, err }));
    });

    expect(result.code).toBe(1);
    expect(result.err.trim()).toBe(
      `Could not start the local server: port ${port} on 127.0.0.1 is already in use (another npm run dev?). Stop that process, or pick another port: npm run dev -- --port ${port + 1}`,
    );
  });

  it("the banner's hints name the port it actually listens on", async () => {
    const { url, banner } = await startDev(['--offline', '--port', '0']);
    // The hints follow the "listening on" line the start waits for.
    for (let waited = 0; !banner.some((line) => line.includes('--help')) && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const hints = banner.filter((line) => line.includes('npm run chat --'));
    expect(hints.length).toBeGreaterThanOrEqual(2);
    for (const hint of hints.filter((line) => !line.includes('--help')))
      expect(hint).toContain(`--url ${url}`);
  });

  it('stopping `npm run dev` (SIGTERM to npm) stops the server too', async () => {
    const { url, process: npm } = await startDev(['--offline', '--port', '0'], {}, { viaNpm: true });
    expect(await accepting(url)).toBe(true);

    npm.kill('SIGTERM');
    let open = true;
    for (let waited = 0; open && waited < 10_000; waited += 250) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      open = await accepting(url);
    }

    expect(open).toBe(false);
  });

  it('uses the DynamoDB named by AWS_ENDPOINT_URL_DYNAMODB instead of its own', async () => {
    dynamo = await startDynalite();
    const { url, banner } = await startDev(['--offline', '--port', '0'], {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    });

    await chat(url, { message: 'hello' });

    const tables = await dynamo.client.send(new ListTablesCommand({}));
    const items = await dynamo.client.send(new ScanCommand({ TableName: 'local-sessions', Select: 'COUNT' }));
    expect(banner.join('\n')).toContain(`DynamoDB: ${dynamo.endpoint}`);
    expect(tables.TableNames).toEqual(['local-auto-review', 'local-plans', 'local-sessions']);
    expect(items.Count).toBeGreaterThan(0);
  });
});
