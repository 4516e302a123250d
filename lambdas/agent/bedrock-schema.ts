/**
 * Fits a JSON Schema (draft 2020-12, as zod's `z.toJSONSchema` writes it) to the subset Bedrock's structured output
 * compiles into a grammar: every object closed (`additionalProperties: false`), no numeric or length bounds, no
 * `minItems` above 1, `anyOf` for `oneOf`. A dropped bound is kept as words in the description (the model still reads
 * it) and is still enforced where the answer is validated (zod). Bedrock answers a schema outside the subset with a 400.
 */
export function toBedrockJsonSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return fitNode(rest);
}

/** Bounds the grammar cannot express: dropped, and described instead. */
const DESCRIBED = [
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'pattern',
] as const;

/** Keywords outside the subset that carry no meaning worth describing (or only defaults the validator applies). */
const DROPPED = new Set([
  'default',
  'examples',
  'propertyNames',
  'patternProperties',
  'not',
  'if',
  'then',
  'else',
]);

/** Keywords whose value is one subschema, a list of them, or a map of them. */
const SUBSCHEMA = new Set(['items', 'contains']);
const SUBSCHEMA_LISTS = new Set(['anyOf', 'allOf', 'oneOf', 'prefixItems']);
const SUBSCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);

function fitNode(node: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const described: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if ((DESCRIBED as readonly string[]).includes(key)) {
      // minItems 0 and 1 are in the subset.
      if (key === 'minItems' && (value === 0 || value === 1)) out[key] = value;
      // zod bounds every integer to the safe range: true of any JSON number a model writes, not worth a word.
      else if (value !== Number.MAX_SAFE_INTEGER && value !== Number.MIN_SAFE_INTEGER) {
        described.push(`${key} ${JSON.stringify(value)}`);
      }
      continue;
    }
    if (SUBSCHEMA.has(key) && isObject(value)) out[key] = fitNode(value);
    else if (SUBSCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key === 'oneOf' ? 'anyOf' : key] = value.map((item) => (isObject(item) ? fitNode(item) : item));
    } else if (SUBSCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, isObject(sub) ? fitNode(sub) : sub]),
      );
    } else out[key] = value;
  }
  if (out.type === 'object' || 'properties' in out) out.additionalProperties = false;
  if (described.length > 0) {
    const note = `(${described.join(', ')})`;
    out.description = typeof out.description === 'string' ? `${out.description} ${note}` : note;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
