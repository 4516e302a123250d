import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as z from 'zod';

/** The last session per chat URL, so `--continue` and a one-shot `approve` find the conversation again. */
export interface SessionState {
  /** The last session used with `url`, if any. */
  last(url: string): Promise<string | undefined>;
  /** Remembers `sessionId` as the last session of `url`. Best effort: a read-only home never fails a chat. */
  remember(url: string, sessionId: string): Promise<void>;
  /** The file, for messages; undefined when there is nowhere to keep it. */
  readonly path: string | undefined;
}

const fileSchema = z.record(z.string(), z.object({ session_id: z.string(), updated_at: z.string() }));

/**
 * The state file: `$XDG_CONFIG_HOME/github-coding-agent/sessions.json`, else `~/.config/…` ($HOME), else
 * `%APPDATA%\github-coding-agent\sessions.json`. Only the environment decides (no fallback to the real home), so a
 * caller with an empty environment (tests) keeps no state.
 */
export function stateFilePath(env: Record<string, string | undefined>): string | undefined {
  const base = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, '.config') : env.APPDATA);
  return base ? join(base, 'github-coding-agent', 'sessions.json') : undefined;
}

/** A {@link SessionState} over a JSON file (ids only: nothing secret is kept). */
export function createSessionState(
  path: string | undefined,
  now: () => Date = () => new Date(),
): SessionState {
  const load = async (): Promise<z.infer<typeof fileSchema>> => {
    if (!path) return {};
    try {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch {
      return {};
    }
  };
  return {
    path,
    async last(url) {
      return (await load())[keyOf(url)]?.session_id;
    },
    async remember(url, sessionId) {
      if (!path) return;
      try {
        const state = await load();
        state[keyOf(url)] = { session_id: sessionId, updated_at: now().toISOString() };
        await mkdir(dirname(path), { recursive: true });
        // Write then rename, so two clients finishing at once never leave half a file.
        const temporary = `${path}.${process.pid}.tmp`;
        await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
        await rename(temporary, path);
      } catch {
        // Remembering is a convenience; the session id was printed anyway.
      }
    },
  };
}

/** `https://x/` and `https://x` are the same endpoint; so are `localhost` and `127.0.0.1`. */
function keyOf(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '127.0.0.1' || parsed.hostname === '[::1]') parsed.hostname = 'localhost';
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}
