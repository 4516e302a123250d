import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cache = new Map<string, string>();

/** Where prompts live: copied next to the bundle in Lambda, the repo's prompts/ everywhere else. */
function promptsDir(): string {
  if (process.env.PROMPTS_DIR) return process.env.PROMPTS_DIR;
  if (process.env.LAMBDA_TASK_ROOT) return join(process.env.LAMBDA_TASK_ROOT, 'prompts');
  return fileURLToPath(new URL('../prompts/', import.meta.url));
}

/**
 * Loads `prompts/<name>.md` (read once, then cached) and fills `{{placeholders}}` from `vars`.
 * @throws Error naming any placeholder left without a value, so a template and its caller cannot drift apart.
 */
export function loadPrompt(name: string, vars: Record<string, string | number> = {}): string {
  let template = cache.get(name);
  if (template === undefined) {
    template = readFileSync(join(promptsDir(), `${name}.md`), 'utf8');
    cache.set(name, template);
  }
  const missing = new Set<string>();
  const filled = template.replace(/\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g, (_match, key: string) => {
    const value = vars[key];
    if (value === undefined) {
      missing.add(key);
      return '';
    }
    return String(value);
  });
  if (missing.size > 0) throw new Error(`Prompt "${name}" has no value for: ${[...missing].join(', ')}`);
  return filled;
}
