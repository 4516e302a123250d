import { describe, expect, it } from 'vitest';
import { parseInline, parseMarkdown, safeHref } from '../../bin/client/web/markdown';

describe('web page markdown', () => {
  it('reads headings, paragraphs, lists and code fences', () => {
    const blocks = parseMarkdown(
      '# Title\n\nSome text\nmore\n\n- one\n- two\n\n1. first\n\n```ts\nconst a = 1;\n```',
    );

    expect(blocks.map((block) => block.kind)).toEqual(['heading', 'paragraph', 'list', 'list', 'code']);
    expect(blocks[2]).toMatchObject({
      kind: 'list',
      ordered: false,
      items: [[{ text: 'one' }], [{ text: 'two' }]],
    });
    expect(blocks[4]).toEqual({ kind: 'code', text: 'const a = 1;' });
  });

  it('reads inline code, strong, emphasis and links', () => {
    expect(parseInline('a `x<y>` **b** *c* [d](https://e.example/f)')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'code', text: 'x<y>' },
      { kind: 'text', text: ' ' },
      { kind: 'strong', children: [{ kind: 'text', text: 'b' }] },
      { kind: 'text', text: ' ' },
      { kind: 'em', children: [{ kind: 'text', text: 'c' }] },
      { kind: 'text', text: ' ' },
      { kind: 'link', href: 'https://e.example/f', children: [{ kind: 'text', text: 'd' }] },
    ]);
  });

  it('keeps raw HTML as text and drops non-http link targets', () => {
    const inline = parseInline(
      '<img src=x onerror=alert(1)> [x](javascript:alert(1)) [y](data:text/html,hi)',
    );

    expect(inline).toEqual([
      { kind: 'text', text: '<img src=x onerror=alert(1)> [x](javascript:alert(1)) [y](data:text/html,hi)' },
    ]);
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('/relative')).toBeUndefined();
  });

  it('links bare URLs without their trailing punctuation, and leaves snake_case alone', () => {
    expect(parseInline('see https://github.com/a/b/pull/4, then my_var_name')).toEqual([
      { kind: 'text', text: 'see ' },
      {
        kind: 'link',
        href: 'https://github.com/a/b/pull/4',
        children: [{ kind: 'text', text: 'https://github.com/a/b/pull/4' }],
      },
      { kind: 'text', text: ', then my_var_name' },
    ]);
  });

  it('stays linear on hostile input: 100 KB of delimiters in under a second', () => {
    const hostile = `${'[a'.repeat(15_000)}${'`*_'.repeat(15_000)}${'**x'.repeat(5_000)}`;

    const started = performance.now();
    const blocks = parseMarkdown(hostile);
    const elapsed = performance.now() - started;

    expect(blocks).toHaveLength(1);
    expect(elapsed).toBeLessThan(1_000);
  });
});
