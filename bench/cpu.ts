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
  /** The floor: a bare relay of the same model request (system prompt, tool specs, the message). */
  floor: CpuSide;
  /** A bare relay of the user's message alone (no system prompt, no tools): the floor of the first measurements. */
  messageOnly: CpuSide;
  /** server / floor per-turn CPU, over all rounds. */
  ratio: number;
  /** server / floor per-turn CPU of each round, in order. */
  roundRatios: number[];
  /** server / messageOnly per-turn CPU, over all rounds. */
  messageOnlyRatio: number;
}

interface CpuUsage {
  user: number;
  system: number;
}

/** The answer both sides relay: the (a) row's model, four deltas at once. */
const ANSWER = ['Hello', ' from', ' the', ' bench'];
const WARM_UP_TURNS = 50;
/** The turns are run in this many rounds, the sides taking turns, so machine drift weighs on all alike. */
const ROUNDS = 5;

/**
 * (f) CPU time per turn of the server process (the chat function's handler behind the function-URL stand-in) and, in
 * the same run, of two bare relays (node:http + ConverseStream + SSE, see cpu-process.ts): one sending the model the
 * same request as the server (the floor), one sending the message alone; all relay the same Bedrock stand-in. The
 * stand-ins (Bedrock, dynalite) run in this process, so only each side's own work is counted. Turns run one at a time
 * after a warm-up, in rounds that rotate the sides' order; every server turn is a new session, so it also saves its
 * messages.
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
  const floor = await startSide('relay', env);
  const messageOnly = await startSide('relay-message', env);
  const server = await startSide('server', env);
  const sides = [floor, messageOnly, server];
  try {
    const perRound = Math.max(1, Math.round(turns / ROUNDS));
    const totals = new Map(sides.map((side) => [side, emptySide()]));
    const roundRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)];
      const measured = new Map<Side, CpuSide>();
      for (const side of order) measured.set(side, await measureRound(side, perRound));
      roundRatios.push(
        (measured.get(server)?.perTurnMs ?? Number.NaN) / (measured.get(floor)?.perTurnMs ?? Number.NaN),
      );
      for (const side of sides) add(totals.get(side) ?? emptySide(), measured.get(side) ?? emptySide());
    }
    const of = (side: Side) => perTurn(totals.get(side) ?? emptySide());
    const result = { server: of(server), floor: of(floor), messageOnly: of(messageOnly) };
    return {
      ...result,
      ratio: result.server.perTurnMs / result.floor.perTurnMs,
      roundRatios,
      messageOnlyRatio: result.server.perTurnMs / result.messageOnly.perTurnMs,
    };
  } finally {
    await Promise.all(sides.map((side) => side.stop()));
    await dynamo.close();
    await bedrock.close();
  }
}

interface Side {
  chat: () => ReturnType<typeof timeChat>;
  cpu: () => Promise<CpuUsage>;
  stop: () => Promise<void>;
}

/** Starts one side's process and warms it up. */
async function startSide(
  mode: 'server' | 'relay' | 'relay-message',
  env: Record<string, string | undefined>,
): Promise<Side> {
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
  const { url } = await reply<{ url: string }>(child, (message) => 'url' in message);
  const side: Side = {
    chat: () => timeChat(url, { message: 'hi' }),
    cpu: () => cpuOf(child),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
  await runConcurrent(WARM_UP_TURNS, 1, side.chat);
  return side;
}

/** CPU time of `turns` sequential turns on one side (totals, not yet per turn). */
async function measureRound(side: Side, turns: number): Promise<CpuSide> {
  const before = await side.cpu();
  const timings = await runConcurrent(turns, 1, side.chat);
  const after = await side.cpu();
  const userMs = (after.user - before.user) / 1000;
  const systemMs = (after.system - before.system) / 1000;
  return {
    perTurnMs: (userMs + systemMs) / turns,
    userMs,
    systemMs,
    turns,
    errors: timings.filter((timing) => !timing.ok).length,
  };
}

function emptySide(): CpuSide {
  return { perTurnMs: 0, userMs: 0, systemMs: 0, turns: 0, errors: 0 };
}

function add(total: CpuSide, round: CpuSide): void {
  total.userMs += round.userMs;
  total.systemMs += round.systemMs;
  total.turns += round.turns;
  total.errors += round.errors;
}

function perTurn(total: CpuSide): CpuSide {
  return {
    perTurnMs: (total.userMs + total.systemMs) / total.turns,
    userMs: total.userMs / total.turns,
    systemMs: total.systemMs / total.turns,
    turns: total.turns,
    errors: total.errors,
  };
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
