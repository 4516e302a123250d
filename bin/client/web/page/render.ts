import { type Block, type Inline, parseMarkdown, safeHref } from '../markdown';
import { h } from './dom';

/** Renders untrusted Markdown as DOM nodes (bin/client/web/markdown.ts decides what is allowed). */
export function renderMarkdown(text: string): Node[] {
  return parseMarkdown(text).map(renderBlock);
}

function renderBlock(block: Block): Node {
  switch (block.kind) {
    case 'heading':
      // h1/h2 belong to the page; the answer's headings start at h3.
      return h(`h${Math.min(6, block.level + 2)}` as 'h3', {}, ...block.children.map(renderInline));
    case 'paragraph':
      return h('p', {}, ...block.children.map(renderInline));
    case 'list':
      return h(
        block.ordered ? 'ol' : 'ul',
        {},
        ...block.items.map((item) => h('li', {}, ...item.map(renderInline))),
      );
    case 'code':
      return h('pre', {}, h('code', {}, block.text));
    case 'quote':
      return h('blockquote', {}, ...block.children.map(renderInline));
    case 'rule':
      return h('hr');
  }
}

function renderInline(node: Inline): Node {
  switch (node.kind) {
    case 'text':
      return document.createTextNode(node.text);
    case 'code':
      return h('code', {}, node.text);
    case 'strong':
      return h('strong', {}, ...node.children.map(renderInline));
    case 'em':
      return h('em', {}, ...node.children.map(renderInline));
    case 'link':
      return link(node.href, node.children.map(renderInline));
  }
}

/** An outbound link: http(s) only, opened in a new tab that cannot reach back to this page. */
export function link(href: string, children: Array<Node | string>): Node {
  const safe = safeHref(href);
  if (!safe) return h('span', {}, ...children);
  return h('a', { href: safe, target: '_blank', rel: 'noopener noreferrer nofollow' }, ...children);
}
