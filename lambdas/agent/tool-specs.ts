import * as z from 'zod';
import type { ToolSpec } from './model';
import type { Tool } from './tool';

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** Tools are rebuilt per turn (they close over the turn's GitHub access) but their schemas are module constants. */
const schemaCache = new WeakMap<z.ZodType, Record<string, unknown>>();

/**
 * The JSON Schema specs the model sees, generated from each tool's zod input (the input side, so defaults are
 * optional for the model).
 * @throws Error when a tool name is not one Bedrock accepts or two tools share a name
 */
export function toToolSpecs(tools: readonly Tool[]): ToolSpec[] {
  const seen = new Set<string>();
  return tools.map((tool) => {
    if (!TOOL_NAME.test(tool.name)) throw new Error(`Tool name "${tool.name}" must match ${TOOL_NAME}`);
    if (seen.has(tool.name)) throw new Error(`Two tools are named "${tool.name}"`);
    seen.add(tool.name);
    let inputSchema = schemaCache.get(tool.input);
    if (!inputSchema) {
      const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.input, { io: 'input' });
      inputSchema = schema;
      schemaCache.set(tool.input, inputSchema);
    }
    return { name: tool.name, description: tool.description, inputSchema };
  });
}
