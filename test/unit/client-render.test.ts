import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../bin/client/render';

function render() {
  let text = '';
  const renderer = createRenderer({ write: (chunk: string) => (text += chunk) }, { color: false });
  return { renderer, text: () => text };
}

describe('terminal renderer', () => {
  it('writes tokens as they come, without added breaks', () => {
    const { renderer, text } = render();

    renderer.event({ type: 'token', content: 'Hel' });
    renderer.event({ type: 'token', content: 'lo' });

    expect(text()).toBe('Hello');
  });

  it('puts a tool call on its own line, compact, and its result after it', () => {
    const { renderer, text } = render();

    renderer.event({ type: 'token', content: 'Checking' });
    renderer.event({
      type: 'tool_use',
      tool_name: 'get_repo_info',
      tool_input: { owner: 'octo', repo: 'alpha' },
    });
    renderer.event({ type: 'tool_result', tool_name: 'get_repo_info', ok: false, summary: 'Not found' });

    expect(text()).toBe('Checking\n⚙ get_repo_info {"owner":"octo","repo":"alpha"}\n✗ Not found\n');
  });

  it('shortens a long tool input', () => {
    const { renderer, text } = render();

    renderer.event({
      type: 'tool_use',
      tool_name: 'create_github_issue',
      tool_input: { body: 'x'.repeat(500) },
    });

    expect(text().trimEnd().length).toBeLessThan(110);
    expect(text()).toContain('…');
  });

  it('shows a plan as its markdown with how to answer it', () => {
    const { renderer, text } = render();

    renderer.event({
      type: 'plan',
      plan_id: 'p1',
      plan: { objective: 'Check it', steps: ['Read the diff'], risks: [], estimated_time_minutes: 5 },
      markdown: '## Plan\n1. Read the diff',
    });

    expect(text()).toContain(
      '## Plan\n1. Read the diff\nType "approve" to run this plan or "cancel" to drop it (plan p1).',
    );
  });

  it('shows an error with its code', () => {
    const { renderer, text } = render();

    renderer.event({ type: 'error', code: 'time_limit', message: 'Ran out of time.' });

    expect(text()).toBe('✗ Ran out of time. [time_limit]\n');
  });
});
