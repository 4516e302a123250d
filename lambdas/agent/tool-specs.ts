import * as z from 'zod';
import type { ToolSpec } from './model';
import type { Tool } from './tool';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The tools a deployment offers, with what the model sees of them, built once per cold start: tools read their
 * per-turn values (the user's GitHub access) from the {@link ToolContext}, so nothing here changes between turns and
 * every model call sends the same `specs` instance.
 */
export interface ToolSet {
  readonly tools: readonly Tool[];
  readonly specs: readonly ToolSpec[];
  readonly byName: ReadonlyMap<string, Tool>;
}

/**
 * Builds the {@link ToolSet}. The names are checked at once; the specs are generated on first use (the first turn) and
 * kept: zod's JSON Schema generation costs tens of milliseconds, which would otherwise lengthen every cold import.
 * @throws Error when a tool name is not one Bedrock accepts or two tools share a name
 */
export function createToolSet(tools: readonly Tool[]): ToolSet {
  const byName = new Map<string, Tool>();
  for (const tool of tools) {
    if (!TOOL_NAME.test(tool.name)) throw new Error(`Tool name "${tool.name}" must match ${TOOL_NAME}`);
    if (byName.has(tool.name)) throw new Error(`Two tools are named "${tool.name}"`);
    byName.set(tool.name, tool);
  }
  let specs: readonly ToolSpec[] | undefined;
  return {
    tools,
    byName,
    get specs() {
      specs ??= tools.map(toToolSpec);
      return specs;
    },
  };
}

/** The JSON Schema spec the model sees, from the tool's zod input (the input side: defaults are optional). */
function toToolSpec(tool: Tool): ToolSpec {
  const { $schema: _ignored, ...inputSchema } = z.toJSONSchema(tool.input, { io: 'input' });
  return { name: tool.name, description: tool.description, inputSchema };
}
