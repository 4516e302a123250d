import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { type CliIo, runCli } from '../../bin/client/main';
import type { WebServer } from '../../bin/client/web/server';
import { type LocalServer, startLocalServer } from '../../bin/local/server';
import type { ConverseRequestBody, Responder } from './bedrock-standin';
import { offlineResponder } from './offline-model';

/**
 * The web page's test rig: `npm run dev`'s offline server in-process, and `npm run chat -- --web` (runCli) in front of
 * it, so the browser talks to the real page server, which talks to the real chat handler. Besides the demo phrases
 * the model understands two test phrases: {@link SLOW_STORY} streams its answer over a second or so, and
 * {@link MODEL_REFUSES} makes Bedrock refuse the request (an `error` event).
 */
export const SLOW_STORY = 'tell me a slow story';
export const MODEL_REFUSES = 'make the model refuse';
/** Answers with Markdown carrying markup and a script link, as hostile model or GitHub text might. */
export const HOSTILE_MARKDOWN = 'show me hostile markdown';
export const HOSTILE_TEXT =
  "Look: <img src=x onerror=\"document.title='pwned'\"> and [click](javascript:document.title='pwned') and [docs](https://example.com/docs).";
/** The words {@link SLOW_STORY}'s answer streams, one delta each. */
export const STORY_WORDS = [
  'Once ',
  'upon ',
  'a ',
  'time ',
  'a ',
  'reviewer ',
  'read ',
  'every ',
  '**line**',
  '.',
];

/** A running rig. */
export interface WebRig {
  server: LocalServer;
  web: WebServer;
  close(): Promise<void>;
}

/** Starts the offline server and the page server (a free port each; the consent listener on a free one too). */
export async function startWebRig(): Promise<WebRig> {
  const callbackPort = await freePort();
  const server = await startLocalServer({
    offline: true,
    logLevel: 'SILENT',
    responder: testResponder(),
    env: { OAUTH_RETURN_URLS: `http://localhost:${callbackPort}/oauth/callback` },
  });
  let page: RunningPage;
  try {
    page = await startWebPage(['--url', server.url, '--callback-port', String(callbackPort)]);
  } catch (error) {
    await server.close();
    throw error;
  }
  const web = page.web;
  return {
    server,
    web,
    async close() {
      await page.stop();
      await server.close();
    },
  };
}

/** A page server started the way a user starts it. */
export interface RunningPage {
  web: WebServer;
  /** Ctrl-C: stops the page server; resolves with the CLI's exit code. */
  stop(): Promise<number>;
}

/**
 * Runs `npm run chat -- --web --port 0 --no-open <args>` in-process (bin/client/main.ts `runCli`) and resolves once the
 * page server listens.
 */
export async function startWebPage(
  args: string[],
  io: Pick<CliIo, 'credentials' | 'fetch'> = {},
): Promise<RunningPage> {
  const stop = new AbortController();
  const output = new PassThrough();
  output.resume();
  let listening: (web: WebServer) => void = () => undefined;
  const started = new Promise<WebServer>((resolve) => {
    listening = resolve;
  });
  const run = runCli({
    argv: ['--web', '--port', '0', '--no-open', ...args],
    env: {},
    stdin: Readable.from([]),
    stdout: output,
    stderr: output,
    signal: stop.signal,
    onWebListening: listening,
    ...io,
  });
  // A CLI that exits before listening (bad flags, port taken) must fail the start, not hang it.
  const web = await Promise.race([
    started,
    run.then((code) => {
      throw new Error(`--web exited with ${code} before listening`);
    }),
  ]);
  return {
    web,
    stop() {
      stop.abort(new Error('test over'));
      return run;
    },
  };
}

/** The demo model, plus the test phrases. */
function testResponder(): Responder {
  const demo = offlineResponder();
  return (body, index) => {
    const last = lastText(body);
    if (last === SLOW_STORY) return { kind: 'reply', text: STORY_WORDS, delayMs: 120 };
    if (last === HOSTILE_MARKDOWN) return { kind: 'reply', text: [HOSTILE_TEXT] };
    if (last === MODEL_REFUSES) {
      return { kind: 'http_error', status: 403, type: 'AccessDeniedException', message: 'not allowed' };
    }
    return demo(body, index);
  };
}

function lastText(body: ConverseRequestBody): string {
  const content = body.messages.at(-1)?.content ?? [];
  return content
    .flatMap((block) => (typeof block.text === 'string' ? [block.text] : []))
    .join('\n')
    .trim();
}

/** A free loopback port (closed again at once). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
