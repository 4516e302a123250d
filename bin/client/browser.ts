import { spawn } from 'node:child_process';

/**
 * Opens `url` in the user's default browser (`open` on macOS, `xdg-open` elsewhere, the URL handler on Windows).
 * Best effort: the link is always printed too, so a missing opener is ignored. Only http(s) URLs are opened, since
 * the URL comes from the server.
 */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform): void {
  const { protocol } = new URL(url);
  if (protocol !== 'https:' && protocol !== 'http:') return;
  const [command, args] =
    platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the printed link is enough.
  }
}
