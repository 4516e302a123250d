import * as z from 'zod';
import { defineTool, type Tool } from './tool';

const currentTimeInput = z.object({
  time_zone: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('An IANA time zone such as "Australia/Sydney"; UTC when absent.'),
});

/**
 * `get_current_time`: the one tool that needs no account, so every deployment can show the tool loop working.
 * @param now the clock (injected for tests)
 */
export function createCurrentTimeTool(now: () => Date = () => new Date()): Tool {
  return defineTool({
    name: 'get_current_time',
    description: 'Returns the current date and time, in UTC or in the given IANA time zone.',
    input: currentTimeInput,
    readOnly: true,
    async run({ time_zone: timeZone = 'UTC' }) {
      const instant = now();
      let local: string;
      try {
        local = new Intl.DateTimeFormat('en-CA', {
          timeZone,
          dateStyle: 'full',
          timeStyle: 'long',
        }).format(instant);
      } catch {
        return {
          ok: false,
          summary: `unknown time zone ${timeZone}`,
          content: { error: `Unknown time zone: ${timeZone}` },
        };
      }
      return {
        ok: true,
        summary: `${timeZone}: ${local}`,
        content: { iso: instant.toISOString(), time_zone: timeZone, local },
      };
    },
  });
}
