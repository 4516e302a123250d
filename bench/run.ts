/**
 * `npm run bench`: measures the local server (the chat function's own handler behind the function-URL stand-in, with
 * dynalite and a zero-latency Bedrock stand-in) and the deployable bundle. Prints tables and writes
 * bench/results-<timestamp>.json. docs/performance.md records a run and how to read it.
 *
 *   (a) server-added latency to first byte and first token, p50/p95, at 1, 50 and 200 concurrent streams (or
 *       --streams), with the turns whose save failed
 *   (b) per-delta relay latency: stand-in emits a delta → the client receives it
 *   (c) turn latency with 10 vs 5,000 stored messages in the session
 *   (d) chat bundle size and cold import time of the built bundle
 *   (e) input tokens billed per five-call turn with and without prompt caching
 *   (f) CPU time per turn of the server against a bare Bedrock-to-SSE relay measured in the same run
 *   (w) webhook deliveries accepted per second, and time from a signed delivery to the review posted
 *
 * Options: --quick (fewer samples), --only a,b,c,d,e,f,w (a subset), --streams 100,200,300 (the levels of (a)).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { measureBundle } = await import('./bundle');
const { measureCpu } = await import('./cpu');
const { measureHistory } = await import('./history');
const { measureConcurrency, measureRelay } = await import('./latency');
const { measurePromptCache } = await import('./prompt-cache');
const { table } = await import('./stats');
const { measureDeliveryToReview, measureWebhookThroughput } = await import('./webhook');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'a,b,c,d,e,f,w' },
    streams: { type: 'string' },
  },
});
const quick = values.quick;
const only = new Set(values.only.split(',').map((part) => part.trim()));
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
};

console.log(`Node ${process.version}, ${results.cpus}\n`);

if (only.has('a')) {
  console.log('(a) Server-added latency, zero-latency model (ms)');
  const levels = values.streams?.split(',').map(Number) ?? (quick ? [1, 50] : [1, 50, 200]);
  const concurrency = await measureConcurrency(levels, quick ? 100 : 400);
  results.concurrency = concurrency;
  console.log(
    table(
      [
        'streams',
        'requests',
        'errors',
        'failed saves',
        'first byte p50',
        'p95',
        'first token p50',
        'p95',
        'done p50',
        'p95',
      ],
      concurrency.map((row) => [
        row.concurrency,
        row.requests,
        row.errors,
        row.failedSaves,
        row.firstByte.p50,
        row.firstByte.p95,
        row.firstToken.p50,
        row.firstToken.p95,
        row.done.p50,
        row.done.p95,
      ]),
    ),
  );
}

if (only.has('b')) {
  console.log('\n(b) Per-delta relay latency: stand-in writes a delta → client reads it (ms)');
  const relay = await measureRelay(quick ? 200 : 1_000);
  results.relay = relay;
  console.log(table(['deltas', 'p50', 'p95', 'max'], [[relay.deltas, relay.p50, relay.p95, relay.max]]));
}

if (only.has('c')) {
  console.log('\n(c) Turn latency by stored session length (ms, request → done)');
  const history = await measureHistory(quick ? [10, 1_000] : [10, 400, 5_000], quick ? 20 : 60);
  results.history = history;
  console.log(
    table(
      ['stored messages', 'turns', 'p50', 'p95', 'history sent to model'],
      history.map((row) => [row.stored, row.turns, row.p50, row.p95, row.sentMessages]),
    ),
  );
}

if (only.has('d')) {
  console.log('\n(d) Chat function bundle (as `cdk synth` builds it)');
  const bundle = await measureBundle(quick ? 5 : 15);
  results.bundle = bundle;
  console.log(
    table(
      ['bundle KB', 'gzip KB', 'cold import p50 ms', 'p95 ms', 'runs'],
      [[bundle.bytes / 1024, bundle.gzipBytes / 1024, bundle.importMs.p50, bundle.importMs.p95, bundle.runs]],
    ),
  );
}

if (only.has('e')) {
  console.log(
    '\n(e) Input tokens per five-call turn, with and without prompt caching (stand-in usage, chars / 4)',
  );
  const cache = await measurePromptCache();
  results.promptCache = cache;
  const off = new Map(cache.filter((row) => row.promptCache === 'off').map((row) => [row.turn, row]));
  console.log(
    table(
      ['PROMPT_CACHE', 'turn', 'calls', 'input', 'cache write', 'cache read', 'billed input', 'vs off'],
      cache.map((row) => [
        row.promptCache,
        row.turn,
        row.modelCalls,
        row.inputTokens,
        row.cacheWriteInputTokens,
        row.cacheReadInputTokens,
        Math.round(row.billedInputTokens),
        `${Math.round((100 * row.billedInputTokens) / (off.get(row.turn)?.billedInputTokens ?? Number.NaN))}%`,
      ]),
    ),
  );
}

if (only.has('f')) {
  console.log(
    '\n(f) CPU time per turn (ms, user + system): the server against bare relays of the same stand-in stream',
  );
  const cpu = await measureCpu(quick ? 200 : 1_000);
  results.cpu = cpu;
  const row = (name: string, side: typeof cpu.server) => [
    name,
    side.turns,
    side.errors,
    side.perTurnMs,
    side.userMs,
    side.systemMs,
  ];
  console.log(
    table(
      ['process', 'turns', 'errors', 'CPU ms / turn', 'user', 'system'],
      [
        row('server', cpu.server),
        row('bare relay, same model request', cpu.floor),
        row('bare relay, message only', cpu.messageOnly),
      ],
    ),
  );
  const rounds = cpu.roundRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(', ');
  console.log(
    `server / bare relay (same model request): ${cpu.ratio.toFixed(2)}× (target ≤ 1.5×); by round: ${rounds}`,
  );
  console.log(`server / bare relay (message only): ${cpu.messageOnlyRatio.toFixed(2)}×`);
}

if (only.has('w')) {
  console.log('\n(w) Webhook: deliveries through the handler (dynalite, in-memory queue)');
  const throughput = await measureWebhookThroughput(quick ? 200 : 1_000, [1, 20]);
  console.log(
    table(
      ['deliveries', 'concurrency', 'count', 'per second', 'p50 ms', 'p95 ms'],
      throughput.map((row) => [
        row.kind,
        row.concurrency,
        row.deliveries,
        row.perSecond,
        row.p50Ms,
        row.p95Ms,
      ]),
    ),
  );
  console.log(
    '\n(w) Signed delivery → review posted on the stand-ins (local server, zero-latency model, ms)',
  );
  const review = await measureDeliveryToReview(quick ? 5 : 20);
  console.log(
    table(
      ['reviews', 'accepted p50', 'p95', 'review posted p50', 'p95', 'max'],
      [
        [
          review.reviews,
          review.acceptMs.p50,
          review.acceptMs.p95,
          review.toReviewMs.p50,
          review.toReviewMs.p95,
          review.toReviewMs.max,
        ],
      ],
    ),
  );
  results.webhook = { throughput, deliveryToReview: review };
}

const file = `bench/results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nWrote ${file}`);
process.exit(0);
