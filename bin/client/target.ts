import { readFile } from 'node:fs/promises';
import { DEFAULT_URL, isHttpUrl, URL_ENV } from './args';

/** Where the chat URL came from, for the messages that name it. */
export type UrlSource = '--url' | '--outputs-file' | typeof URL_ENV | 'default';

/** A usage problem with the URL's source (bad file, no ChatUrl output, ...). */
export class TargetError extends Error {}

/**
 * The chat endpoint: `--url`, else the `ChatUrl` output in `--outputs-file` (the JSON `cdk deploy --outputs-file`
 * writes: `{ "<StackName>": { "ChatUrl": "https://…/" } }`), else $CHAT_URL, else the local server.
 * @throws TargetError when the outputs file cannot be read or names no single ChatUrl, or $CHAT_URL is not a URL
 */
export async function resolveChatUrl(
  options: { url?: string; outputsFile?: string },
  env: Record<string, string | undefined>,
  read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): Promise<{ url: string; source: UrlSource }> {
  if (options.url !== undefined) return { url: options.url, source: '--url' };
  if (options.outputsFile !== undefined) {
    return { url: await chatUrlFromOutputs(options.outputsFile, read), source: '--outputs-file' };
  }
  const fromEnv = env[URL_ENV]?.trim();
  if (fromEnv) {
    if (!isHttpUrl(fromEnv)) throw new TargetError(`${URL_ENV} must be an http(s) URL, got ${fromEnv}`);
    return { url: fromEnv, source: URL_ENV };
  }
  return { url: DEFAULT_URL, source: 'default' };
}

async function chatUrlFromOutputs(path: string, read: (path: string) => Promise<string>): Promise<string> {
  let outputs: unknown;
  try {
    outputs = JSON.parse(await read(path));
  } catch (error) {
    throw new TargetError(
      `Cannot read the ChatUrl from ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const found = new Set<string>();
  if (typeof outputs === 'object' && outputs !== null) {
    for (const stack of Object.values(outputs)) {
      const url =
        typeof stack === 'object' && stack !== null ? (stack as Record<string, unknown>).ChatUrl : undefined;
      if (typeof url === 'string' && isHttpUrl(url)) found.add(url);
    }
  }
  if (found.size === 1) return [...found][0] as string;
  throw new TargetError(
    found.size === 0
      ? `${path} has no ChatUrl output: write it with \`npx cdk deploy --outputs-file ${path}\``
      : `${path} has ${found.size} stacks with a ChatUrl output: pick one with --url`,
  );
}
