import { type ChildProcess, fork } from 'node:child_process';
import { runConcurrent, timeChat } from './http-stream';

export interface CpuSide {
  /** CPU time (user + system) of the process per turn, in milliseconds. */
  perTurnMs: number;
  userMs: number;
  systemMs: number;
  turns: number;
  errors: number;
}

export interface CpuResult {
  server: CpuSide;
  floor: CpuSide;
  /** server / floor per-turn CPU. */
  ratio: number;
}

interface CpuUsage {
  user: number;
  system: number;
}

/** The answer both sides relay: the (a) row's model, four deltas at once. */
const ANSWER = ['Hello', ' from', ' the', ' bench'];
const WARM_UP_TURNS = 50;

/**
 * (f) CPU time per turn of the server process (the chat function's handler behind the function-URL stand-in) and, in
 * the same run, of a bare relay floor (node:http + ConverseStream + SSE, see cpu-process.ts), both relaying the same
 * Bedrock stand-in. The stand-ins (Bedrock, dynalite) run in this process, so only each side's own work is counted.
 * Turns run one at a time after a warm-up; every server turn is a new session, so it also saves its messages.
 */
export async function measureCpu(turns: number): Promise<CpuResult> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { startBedrockStandin } = await import('../test/support/bedrock-standin');
  const { startDynalite } = await import('../test/support/dynalite');
  const bedrock = await startBedrockStandin({ responder: () => ({ kind: 'reply', text: ANSWER }) });
  const dynamo = await startDynalite();
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'ap-southeast-2',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    MODEL_ID: 'au.anthropic.claude-sonnet-4-6',
    SESSIONS_TABLE: 'bench-sessions',
    PLANS_TABLE: 'bench-plans',
  };
  try {
    // Alternating would mix the two processes' caches; one after the other, each fully warmed, is fairer.
    const floor = await measureSide('floor', env, turns);
    const server = await measureSide('server', env, turns);
    return { server, floor, ratio: server.perTurnMs / floor.perTurnMs };
  } finally {
    await dynamo.close();
    await bedrock.close();
  }
}

async function measureSide(
  mode: 'server' | 'floor',
  env: Record<string, string | undefined>,
  turns: number,
): Promise<CpuSide> {
  const child = fork('bench/cpu-process.ts', [mode], {
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each side there (open it in Chrome DevTools).
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    env,
    // EMF metric lines go to stdout, as in Lambda; nobody reads them here.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  try {
    const { url } = await reply<{ url: string }>(child, (message) => 'url' in message);
    const chat = () => timeChat(url, { message: 'hi' });
    await runConcurrent(WARM_UP_TURNS, 1, chat);
    const before = await cpuOf(child);
    const timings = await runConcurrent(turns, 1, chat);
    const after = await cpuOf(child);
    const userMs = (after.user - before.user) / 1000;
    const systemMs = (after.system - before.system) / 1000;
    return {
      perTurnMs: (userMs + systemMs) / turns,
      userMs: userMs / turns,
      systemMs: systemMs / turns,
      turns,
      errors: timings.filter((timing) => !timing.ok).length,
    };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.disconnect();
    await exited;
  }
}

async function cpuOf(child: ChildProcess): Promise<CpuUsage> {
  const answer = reply<{ cpu: CpuUsage }>(child, (message) => 'cpu' in message);
  child.send('cpu');
  return (await answer).cpu;
}

function reply<T>(child: ChildProcess, matches: (message: object) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench CPU process exited with ${code}`));
    const onMessage = (message: unknown) => {
      if (typeof message !== 'object' || message === null || !matches(message)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
