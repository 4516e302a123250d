import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The chat page's three files, served from memory by the page server. */
export interface PageAssets {
  html: string;
  js: string;
  css: string;
}

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/**
 * Builds the page with esbuild (TypeScript and CSS bundled, minified, nothing from a CDN). Run from source
 * (`npm run chat -- --web`) this happens at start, in well under a second; the installed client's bundle
 * (`npm run build:client`) replaces this module with the prebuilt files, since esbuild is a devDependency.
 */
export async function loadPageAssets(): Promise<PageAssets> {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  } as const;
  const [script, style, html] = await Promise.all([
    build({
      ...common,
      entryPoints: [`${PAGE_DIR}main.ts`],
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
    }),
    build({ ...common, entryPoints: [`${PAGE_DIR}style.css`] }),
    readFile(`${PAGE_DIR}index.html`, 'utf8'),
  ]);
  return { html, js: outputText(script.outputFiles), css: outputText(style.outputFiles) };
}

function outputText(files: Array<{ text: string }> | undefined): string {
  const file = files?.[0];
  if (!file) throw new Error('esbuild produced no output for the chat page');
  return file.text;
}
