/**
 * A small Markdown reader for the chat page: model and GitHub text is untrusted, so it is never handed to innerHTML.
 * This turns it into a tree of a few allowed node kinds, which the page builds with `createElement` and `textContent`
 * (bin/client/web/page/render.ts). Raw HTML stays text; links keep only http(s) targets. Every scan is linear in the
 * text: no backtracking regex, and each delimiter's closer search covers the text once (see createFinder).
 */

/** Inline content. */
export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; children: Inline[] }
  | { kind: 'em'; children: Inline[] }
  | { kind: 'link'; href: string; children: Inline[] };

/** Block content. */
export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4; children: Inline[] }
  | { kind: 'paragraph'; children: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] }
  | { kind: 'code'; text: string }
  | { kind: 'quote'; children: Inline[] }
  | { kind: 'rule' };

const MAX_LINK_TEXT = 500;
const MAX_HREF = 2048;
const MAX_DEPTH = 3;
/** The characters inline markup can start with (`` ` `` `*` `_` `[` `h` `H`), as char codes. */
const MAY_START_MARKUP = new Set([...'`*_[hH'].map((char) => char.charCodeAt(0)));

/** Parses `text` into blocks (an unterminated code fence, mid-stream, runs to the end). */
export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | undefined;
  const flush = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', children: parseInline(paragraph.join('\n')) });
    paragraph = [];
    if (list)
      blocks.push({
        kind: 'list',
        ordered: list.ordered,
        items: list.items.map((item) => parseInline(item)),
      });
    list = undefined;
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const trimmed = line.trim();
    if (trimmed.startsWith('```')) {
      flush();
      const code: string[] = [];
      index += 1;
      while (index < lines.length && !(lines[index] ?? '').trim().startsWith('```')) {
        code.push(lines[index] ?? '');
        index += 1;
      }
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    if (trimmed === '') {
      flush();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(trimmed);
    if (heading) {
      flush();
      const level = Math.min(4, (heading[1] ?? '#').length) as 1 | 2 | 3 | 4;
      blocks.push({ kind: 'heading', level, children: parseInline(heading[2] ?? '') });
      continue;
    }
    if (/^([-*_])(\s*\1){2,}$/.test(trimmed) && !/[^-*_\s]/.test(trimmed)) {
      flush();
      blocks.push({ kind: 'rule' });
      continue;
    }
    if (trimmed.startsWith('>')) {
      flush();
      blocks.push({ kind: 'quote', children: parseInline(trimmed.slice(1).trim()) });
      continue;
    }
    const bullet = /^[-*+]\s+(.*)$/.exec(trimmed);
    const numbered = bullet ? null : /^\d{1,9}[.)]\s+(.*)$/.exec(trimmed);
    const item = bullet ?? numbered;
    if (item) {
      const ordered = numbered !== null;
      if (paragraph.length > 0 || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push(item[1] ?? '');
      continue;
    }
    if (list && /^\s{2,}/.test(line) && list.items.length > 0) {
      // A continuation line of the last item.
      list.items[list.items.length - 1] += ` ${trimmed}`;
      continue;
    }
    if (list) flush();
    paragraph.push(trimmed);
  }
  flush();
  return blocks;
}

/** Parses inline Markdown: `code`, **strong**, *em* / _em_, [links](https://…) and bare http(s) URLs. */
export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let buffer = '';
  const pushText = () => {
    if (buffer) out.push({ kind: 'text', text: buffer });
    buffer = '';
  };
  const find = createFinder(text);
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (char === '`') {
      const end = find('`', index + 1);
      if (end > index + 1) {
        pushText();
        out.push({ kind: 'code', text: text.slice(index + 1, end) });
        index = end + 1;
        continue;
      }
    } else if (depth < MAX_DEPTH && text.startsWith('**', index)) {
      const end = find('**', index + 2);
      if (end > index + 2) {
        pushText();
        out.push({ kind: 'strong', children: parseInline(text.slice(index + 2, end), depth + 1) });
        index = end + 2;
        continue;
      }
    } else if (depth < MAX_DEPTH && (char === '*' || char === '_') && opensEmphasis(text, index)) {
      const end = find(char, index + 1);
      if (end > index + 1) {
        pushText();
        out.push({ kind: 'em', children: parseInline(text.slice(index + 1, end), depth + 1) });
        index = end + 1;
        continue;
      }
    } else if (char === '[') {
      const link = readLink(text, index, depth, find);
      if (link) {
        pushText();
        out.push(link.node);
        index = link.end;
        continue;
      }
    } else if ((char === 'h' || char === 'H') && !isWordChar(text[index - 1])) {
      const end = bareUrlEnd(text, index);
      if (end > index) {
        pushText();
        const href = text.slice(index, end);
        out.push({ kind: 'link', href, children: [{ kind: 'text', text: href }] });
        index = end;
        continue;
      }
    }
    // Not markup here: copy the plain run up to the next character that could start some, in one slice.
    let next = index + 1;
    while (next < text.length && !MAY_START_MARKUP.has(text.charCodeAt(next))) next += 1;
    buffer += text.slice(index, next);
    index = next;
  }
  pushText();
  return out;
}

/** A safe link target: an absolute http(s) URL, or undefined (javascript:, data:, relative… stay text). */
export function safeHref(href: string): string | undefined {
  try {
    const url = new URL(href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Finds a delimiter after a position; positions only grow within one parse. */
type Finder = (delimiter: string, from: number) => number;

/**
 * A finder that remembers the last hit (or miss) per delimiter: the scan positions only grow, so a remembered hit at
 * or after `from` is still the first one, and a miss stays a miss. Each delimiter's search thus covers the text once.
 */
function createFinder(text: string): Finder {
  const last = new Map<string, number>();
  return (delimiter, from) => {
    const known = last.get(delimiter);
    if (known !== undefined && (known < 0 || known >= from)) return known;
    const found = text.indexOf(delimiter, from);
    last.set(delimiter, found);
    return found;
  };
}

/** `[text](href)` at `start`; undefined when it is not one, it is too long, or the target is not http(s). */
function readLink(
  text: string,
  start: number,
  depth: number,
  find: Finder,
): { node: Inline; end: number } | undefined {
  const close = find(']', start + 1);
  if (close < 0 || close - start > MAX_LINK_TEXT || text[close + 1] !== '(') return undefined;
  const paren = find(')', close + 2);
  if (paren < 0 || paren - close > MAX_HREF) return undefined;
  const href = safeHref(text.slice(close + 2, paren).trim());
  if (!href) return undefined;
  const label = text.slice(start + 1, close);
  return {
    node: {
      kind: 'link',
      href,
      children: depth < MAX_DEPTH ? parseInline(label, depth + 1) : [{ kind: 'text', text: label }],
    },
    end: paren + 1,
  };
}

/** The end of a bare `http(s)://…` URL at `start` (trailing punctuation left out), or `start` when none. */
function bareUrlEnd(text: string, start: number): number {
  const head = text.slice(start, start + 8).toLowerCase();
  if (!head.startsWith('https://') && !head.startsWith('http://')) return start;
  let end = start;
  while (end < text.length && end - start < MAX_HREF && !/[\s<>"'`)\]]/.test(text[end] ?? ' ')) end += 1;
  while (end > start && /[.,;:!?]/.test(text[end - 1] ?? '')) end -= 1;
  return safeHref(text.slice(start, end)) ? end : start;
}

/** `*x*` / `_x_` open only before a non-space, and `_` only outside a word (snake_case stays text). */
function opensEmphasis(text: string, index: number): boolean {
  const next = text[index + 1];
  if (next === undefined || /\s/.test(next)) return false;
  return text[index] === '*' || !isWordChar(text[index - 1]);
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_]/.test(char);
}
