// The JSON-schema words constrained decoding enforces (json-state.ts): type (object, array, string,
// number, integer, boolean, null, or a list of them), properties, required, additionalProperties,
// items, enum, const, anyOf/oneOf of such schemas (resolved by the first character). Other words
// (minLength, pattern, …) are not enforced; the caller rejects schemas that use them, so nothing is
// silently ignored.

export type JsonSchema = Record<string, unknown>;

const SUPPORTED = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'description',
  'title',
  '$schema',
  'default',
  'examples',
  'strict',
]);

/** Words of a schema this recognizer cannot enforce (empty when it can enforce all). */
export function unsupportedSchemaWords(s: unknown, at = '$'): string[] {
  if (!s || typeof s !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(s as JsonSchema)) {
    if (!SUPPORTED.has(k)) out.push(`${at}.${k}`);
    if (k === 'properties' && v && typeof v === 'object')
      for (const [p, sub] of Object.entries(v)) out.push(...unsupportedSchemaWords(sub, `${at}.properties.${p}`));
    if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object'))
      out.push(...unsupportedSchemaWords(v, `${at}.${k}`));
    if ((k === 'anyOf' || k === 'oneOf') && Array.isArray(v))
      v.forEach((sub, i) => out.push(...unsupportedSchemaWords(sub, `${at}.${k}[${i}]`)));
  }
  return out;
}

export type Kind = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';
export const ALL: Kind[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];

export function kindsOf(s: JsonSchema | undefined): Kind[] {
  if (!s) return ALL;
  if ('const' in s) return [jsonKind(s.const)];
  if (Array.isArray(s.enum)) return [...new Set((s.enum as unknown[]).map(jsonKind))];
  const t = s.type;
  if (typeof t === 'string') return [t as Kind];
  if (Array.isArray(t)) return t as Kind[];
  if (Array.isArray(s.anyOf ?? s.oneOf)) return [...new Set(((s.anyOf ?? s.oneOf) as JsonSchema[]).flatMap(kindsOf))];
  if (s.properties) return ['object'];
  return ALL;
}

export function jsonKind(v: unknown): Kind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as Kind;
}

/** The branch of an anyOf/oneOf that a value of this kind takes. */
export function branchFor(s: JsonSchema | undefined, kind: Kind): JsonSchema | undefined {
  const alts = s && (s.anyOf ?? s.oneOf);
  if (!Array.isArray(alts)) return s;
  return (alts as JsonSchema[]).find(
    (a) => kindsOf(a).includes(kind) || (kind === 'integer' && kindsOf(a).includes('number')),
  );
}

/** String values a schema allows (enum / const of strings), or undefined for any string. */
export function stringChoices(s: JsonSchema | undefined): string[] | undefined {
  if (!s) return undefined;
  if (typeof s.const === 'string') return [s.const];
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).filter((x): x is string => typeof x === 'string');
  return undefined;
}
