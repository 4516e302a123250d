import type { ReceivedEvent } from './events';

/** Somewhere to write text (process.stdout, or a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
}

/** Turns events into terminal output. */
export interface Renderer {
  event(event: ReceivedEvent): void;
  /** A line from the client itself (consent instructions, retries). */
  notice(text: string): void;
  /** A failure line. */
  failure(text: string): void;
  /** Ends a partially written line, so a prompt or the shell starts on its own line. */
  finishLine(): void;
}

const MAX_INPUT_CHARS = 80;

/**
 * The human renderer: tokens as they stream, tool calls on one line each (`⚙ name {input}` then `✓ summary`),
 * plans as their markdown, review progress as status lines, errors in red. Colour only when asked (a TTY without
 * NO_COLOR).
 */
export function createRenderer(out: TextSink, options: { color: boolean }): Renderer {
  const paint = (code: string) => (text: string) =>
    options.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  const dim = paint('2');
  const green = paint('32');
  const red = paint('31');
  const cyan = paint('36');
  let atLineStart = true;

  const write = (text: string): void => {
    if (text.length === 0) return;
    out.write(text);
    atLineStart = text.endsWith('\n');
  };
  const line = (text: string): void => {
    if (!atLineStart) write('\n');
    write(`${text}\n`);
  };

  return {
    event(event) {
      switch (event.type) {
        case 'token':
          write(event.content);
          return;
        case 'tool_use':
          line(dim(`⚙ ${event.tool_name} ${compact(event.tool_input)}`));
          return;
        case 'tool_result':
          // A withheld write is waiting for the user, not failed (its write_pending says how to approve it).
          if (!event.ok && event.summary.startsWith('withheld')) line(cyan(`⏸ ${event.summary}`));
          else line(event.ok ? green(`✓ ${event.summary}`) : red(`✗ ${event.summary}`));
          return;
        case 'plan':
          line('');
          line(event.markdown.trimEnd());
          line(cyan(`Type "approve" to run this plan or "cancel" to drop it (plan ${event.plan_id}).`));
          return;
        case 'status': {
          const percent = Math.round(event.progress <= 1 ? event.progress * 100 : event.progress);
          line(cyan(`▸ ${event.status}: ${event.current_step} (${percent}%)`));
          for (const issue of event.issues) line(red(`  ! ${issue}`));
          return;
        }
        case 'write_pending':
          line(cyan(`⏸ ${event.tool_name} ${compact(event.tool_input)}`));
          line(`  ${event.summary}`);
          line(
            cyan(
              `Reply "approve ${event.action_id}" to run it or "cancel ${event.action_id}" to drop it (until ${event.expires_at}).`,
            ),
          );
          return;
        case 'review_posted':
          line(green(`✓ Review posted: ${event.url}`));
          return;
        case 'error':
          line(red(`✗ ${event.message} [${event.code}]`));
          return;
        case 'done':
          if (!atLineStart) write('\n');
          return;
        // `session` is bookkeeping and `oauth_url` is handled by the client's consent flow.
        case 'session':
        case 'oauth_url':
          return;
      }
    },
    notice(text) {
      line(cyan(text));
    },
    failure(text) {
      line(red(text));
    },
    finishLine() {
      if (!atLineStart) write('\n');
    },
  };
}

function compact(input: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(input) ?? '';
  } catch {
    text = String(input);
  }
  if (text === '{}' || text === '') return '';
  return text.length > MAX_INPUT_CHARS ? `${text.slice(0, MAX_INPUT_CHARS - 1)}…` : text;
}
