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
 * Builds the {@link ToolSet}: validates the names and generates the specs.
 * @throws Error when a tool name is not one Bedrock accepts or two tools share a name
 */
export function createToolSet(tools: readonly Tool[]): ToolSet {
  const specs = toToolSpecs(tools);
  return { tools, specs, byName: new Map(tools.map((tool) => [tool.name, tool])) };
}

/** The JSON Schema specs the model sees, from each tool's zod input (the input side: defaults are optional). */
function toToolSpecs(tools: readonly Tool[]): ToolSpec[] {
  const seen = new Set<string>();
  return tools.map((tool) => {
    if (!TOOL_NAME.test(tool.name)) throw new Error(`Tool name "${tool.name}" must match ${TOOL_NAME}`);
    if (seen.has(tool.name)) throw new Error(`Two tools are named "${tool.name}"`);
    seen.add(tool.name);
    const { $schema: _ignored, ...inputSchema } = z.toJSONSchema(tool.input, { io: 'input' });
    return { name: tool.name, description: tool.description, inputSchema };
  });
}
