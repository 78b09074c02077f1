/**
 * JSON → Tauq notation (.tqn), following the public Tauq syntax guide:
 * `key value` lines, barewords for simple strings, `[a b c]` arrays, `{ }`
 * nested objects, and for arrays of same-shaped flat objects a schema
 * (`!def Name f1 f2`, a `---` separator, then `!use Name` and one
 * space-separated row per object). Written from the guide, not the reference
 * formatter: deterministic, no minified mode, no comma delimiter.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Schema {
  name: string;
  fields: string[];
}

const BAREWORD = /^[A-Za-z_][A-Za-z0-9_.@/-]*$/;
const KEYWORDS = new Set(['true', 'false', 'null']);

export function toTauq(value: unknown): string {
  const schemas = new Map<string, Schema>();
  const json = value as Json;
  if (Array.isArray(json) && tableFields(json)) {
    const fields = tableFields(json)!;
    return [`!def Row ${fields.map(key).join(' ')}`, ...json.map((row) => rowOf(row as Record<string, Json>, fields))].join('\n');
  }
  const body = isObject(json) ? fields(json, schemas, 0) : scalarOrInline(json, schemas, 0);
  if (!schemas.size) return body;
  const defs = [...schemas.values()].map((s) => `!def ${s.name} ${s.fields.map(key).join(' ')}`);
  return [...defs, '---', body].join('\n');
}

function fields(obj: Record<string, Json>, schemas: Map<string, Schema>, depth: number): string {
  const indent = '  '.repeat(depth);
  return Object.entries(obj)
    .map(([k, v]) => `${indent}${key(k)} ${valueOf(v, schemas, depth, k)}`)
    .join('\n');
}

function valueOf(v: Json, schemas: Map<string, Schema>, depth: number, context: string): string {
  if (isObject(v)) return Object.keys(v).length ? `{\n${fields(v, schemas, depth + 1)}\n${'  '.repeat(depth)}}` : '{}';
  if (Array.isArray(v)) return arrayOf(v, schemas, depth, context);
  return scalar(v);
}

function arrayOf(items: Json[], schemas: Map<string, Schema>, depth: number, context: string): string {
  const table = tableFields(items);
  if (!table) return `[${items.map((i) => scalarOrInline(i, schemas, depth + 1)).join(' ')}]`;
  const schema = schemaFor(table, context, schemas);
  const pad = '  '.repeat(depth + 1);
  const rows = items.map((row) => pad + rowOf(row as Record<string, Json>, table));
  return `[\n${pad}!use ${schema.name}\n${rows.join('\n')}\n${'  '.repeat(depth)}]`;
}

function scalarOrInline(v: Json, schemas: Map<string, Schema>, depth: number): string {
  if (isObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${key(k)} ${scalarOrInline(x, schemas, depth)}`).join(' ')} }`;
  if (Array.isArray(v)) return `[${v.map((x) => scalarOrInline(x, schemas, depth)).join(' ')}]`;
  return scalar(v);
}

/** The shared field list when every item is a non-empty flat object with the same keys. */
function tableFields(items: Json[]): string[] | undefined {
  if (items.length < 2 || !items.every(isObject)) return undefined;
  const first = Object.keys(items[0] as object);
  const same = (o: Json) => {
    const keys = Object.keys(o as object);
    return keys.length === first.length && keys.every((k, i) => k === first[i]) && Object.values(o as object).every((x) => x === null || typeof x !== 'object');
  };
  return first.length && items.every(same) ? first : undefined;
}

function schemaFor(fieldList: string[], context: string, schemas: Map<string, Schema>): Schema {
  const signature = fieldList.join(',');
  let schema = schemas.get(signature);
  if (!schema) {
    const base = pascal(context.replace(/ies$/, 'y').replace(/s$/, '')) || 'Row';
    const taken = new Set([...schemas.values()].map((s) => s.name));
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
    schema = { name, fields: fieldList };
    schemas.set(signature, schema);
  }
  return schema;
}

const rowOf = (row: Record<string, Json>, fieldList: string[]) => fieldList.map((f) => scalar(row[f] ?? null)).join(' ');

function scalar(v: Json): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return String(v);
  return typeof v === 'string' && BAREWORD.test(v) && !KEYWORDS.has(v) ? v : JSON.stringify(v);
}

const key = (k: string) => (BAREWORD.test(k) && !KEYWORDS.has(k) ? k : JSON.stringify(k));
const isObject = (v: unknown): v is Record<string, Json> => !!v && typeof v === 'object' && !Array.isArray(v);
const pascal = (s: string) => s.split(/[_\-\s]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('').replace(/[^A-Za-z0-9]/g, '');
