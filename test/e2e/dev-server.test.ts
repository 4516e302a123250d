import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalDynamo, startDynalite } from '../support/dynalite';
import { chat, exchange, textOf } from '../support/sse-client';

let child: ChildProcess | undefined;
let dynamo: LocalDynamo | undefined;

afterEach(async () => {
  child?.kill('SIGTERM');
  child = undefined;
  await dynamo?.close();
  dynamo = undefined;
});

/** Runs `npm run dev`'s entry point as a user would and waits for its banner. */
async function startDev(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; banner: string[] }> {
  const spawned = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', ...args], {
    env: { ...process.env, ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
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
  return { url, banner };
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

  it('uses the DynamoDB named by AWS_ENDPOINT_URL_DYNAMODB instead of its own', async () => {
    dynamo = await startDynalite();
    const { url, banner } = await startDev(['--offline', '--port', '0'], {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    });

    await chat(url, { message: 'hello' });

    const tables = await dynamo.client.send(new ListTablesCommand({}));
    const items = await dynamo.client.send(new ScanCommand({ TableName: 'local-sessions', Select: 'COUNT' }));
    expect(banner.join('\n')).toContain(`DynamoDB: ${dynamo.endpoint}`);
    expect(tables.TableNames).toEqual(['local-plans', 'local-sessions']);
    expect(items.Count).toBeGreaterThan(0);
  });
});
