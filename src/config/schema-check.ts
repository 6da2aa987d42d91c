/**
 * Checks values against the convict schema (schema.ts) by walking it, so every problem comes out with
 * its key path as data. convict's own validate() reports problems as English lines that had to be
 * parsed back apart; its load() also coerces strings from a file the way it coerces environment
 * variables ("fast" becomes NaN, "person" is fed to JSON.parse). Here a file's value must already have
 * the right type, and only values that passed are handed to convict.
 */
import type convict from 'convict';
import type { ConfigProblem } from './errors';
import { errorMessage } from '../util/errors';

type SchemaNode = { [key: string]: unknown };

interface Leaf {
  format?: unknown;
  default?: unknown;
  nullable?: boolean;
}

const isLeaf = (node: SchemaNode): boolean => 'default' in node;
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const join = (base: string, key: string): string => (base ? `${base}.${key}` : key);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

/** The type a file must give a leaf, from its format (or its default where the format says nothing). */
function expectedType(leaf: Leaf): 'number' | 'boolean' | 'string' | 'array' | 'object' | undefined {
  const f = leaf.format;
  if (f === 'nat' || f === 'port' || f === 'int' || f === Number) return 'number';
  if (f === Boolean) return 'boolean';
  if (f === String) return 'string';
  if (f === Array) return 'array';
  if (Array.isArray(f)) return undefined; // an enum judges its own values
  const d = leaf.default;
  if (typeof d === 'number' || typeof d === 'boolean' || typeof d === 'string') return typeof d as 'number' | 'boolean' | 'string';
  if (Array.isArray(d)) return 'array';
  if (isPlainObject(d)) return 'object';
  return undefined;
}

function typeMatches(value: unknown, type: NonNullable<ReturnType<typeof expectedType>>): boolean {
  switch (type) {
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    case 'number':
    case 'boolean':
    case 'string':
      return typeof value === type;
  }
}

const article = (type: string): string => (type === 'array' ? 'a list' : type === 'object' ? 'a mapping' : `a ${type}`);

/** Why a value does not fit its leaf's format, or undefined when it does (convict's formats, same words). */
function leafProblem(value: unknown, leaf: Leaf): string | undefined {
  if (value === null && leaf.nullable) return undefined;
  const f = leaf.format;
  const shown = `: value was ${JSON.stringify(value)}`;
  if (f === 'nat') return Number.isInteger(value) && (value as number) >= 0 ? undefined : `must be a positive integer${shown}`;
  if (f === 'int') return Number.isInteger(value) ? undefined : `must be an integer${shown}`;
  if (f === 'port') {
    return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535 ? undefined : `ports must be within range 0 - 65535${shown}`;
  }
  if (Array.isArray(f)) return f.includes(value) ? undefined : `must be one of the possible values: ${JSON.stringify(f)}${shown}`;
  if (f === String || f === Boolean || f === Array || f === Number) {
    const type = expectedType(leaf) as NonNullable<ReturnType<typeof expectedType>>;
    return typeMatches(value, type) ? undefined : `must be ${article(type)}${shown}`;
  }
  if (typeof f === 'function') {
    try {
      (f as (v: unknown) => void)(value);
      return undefined;
    } catch (e) {
      return `${errorMessage(e)}${shown}`;
    }
  }
  return undefined;
}

export interface FileCheck {
  problems: ConfigProblem[];
  /** The file's values that passed, for convict to load; a refused value is left out, not coerced. */
  accepted: Record<string, unknown>;
}

/**
 * A config file's mapping against the schema: keys the schema does not know, sections that are not
 * mappings, values of the wrong type or outside their format.
 */
export function checkFileObject(file: Record<string, unknown>, schema: convict.Schema<unknown>): FileCheck {
  const problems: ConfigProblem[] = [];
  const accepted = walkFile(file, schema, '', problems);
  return { problems, accepted };
}

function walkFile(value: Record<string, unknown>, node: SchemaNode, base: string, problems: ConfigProblem[]): Record<string, unknown> {
  const accepted: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const path = join(base, key);
    const childNode = Object.prototype.hasOwnProperty.call(node, key) ? (node[key] as SchemaNode | undefined) : undefined;
    if (!childNode || typeof childNode !== 'object') {
      problems.push({ path, message: 'unknown key' });
      continue;
    }
    if (isLeaf(childNode)) {
      const leaf = childNode as Leaf;
      const type = expectedType(leaf);
      if (type && !(child === null && leaf.nullable) && !typeMatches(child, type)) {
        problems.push({ path, message: `must be ${article(type)}, not ${describe(child)}` });
        continue;
      }
      const why = leafProblem(child, leaf);
      if (why) problems.push({ path, message: why });
      else accepted[key] = child;
      continue;
    }
    // A section: `mqtt:` with every key commented out is an empty section, not a mistake.
    if (child === null) continue;
    if (!isPlainObject(child)) {
      problems.push({ path, message: `must be a section of keys (${Object.keys(childNode).join(', ')}), not ${describe(child)}` });
      continue;
    }
    accepted[key] = walkFile(child, childNode, path, problems);
  }
  return accepted;
}

/**
 * Every leaf of the merged configuration (defaults, file, environment, overrides) against its format;
 * paths in `reported` (and below them) already have a problem and are not reported twice.
 */
export function checkValues(values: Record<string, unknown>, schema: convict.Schema<unknown>, reported: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  walkValues(values, schema, '', reported, problems);
  return problems;
}

function walkValues(values: Record<string, unknown>, node: SchemaNode, base: string, reported: ReadonlySet<string>, problems: ConfigProblem[]): void {
  for (const [key, childNode] of Object.entries(node)) {
    if (!childNode || typeof childNode !== 'object') continue;
    const path = join(base, key);
    if (reported.has(path)) continue;
    const value = values[key];
    if (isLeaf(childNode as SchemaNode)) {
      const why = leafProblem(value, childNode);
      if (why) problems.push({ path, message: why });
    } else if (isPlainObject(value)) {
      walkValues(value, childNode as SchemaNode, path, reported, problems);
    } else {
      problems.push({ path, message: `must be a section of keys, not ${describe(value)}` });
    }
  }
}
