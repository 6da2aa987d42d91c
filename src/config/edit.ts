/**
 * Changes one camera's tuning (zones, masks, scores, motion masks) in the text of a config file, the
 * way a person would with an editor: every other byte of the file stays as it was (comments, their
 * alignment, key order, quoting, blank lines, flow or block style), so the user's own diff of
 * /etc/lookout/config.yaml shows only what the page changed.
 *
 * The `yaml` Document API finds where each key's value lies (node ranges); the change is a splice of
 * the original text at those ranges, not a re-serialisation of the whole document (which would
 * collapse aligned comments and re-space every flow mapping). The result is parsed again and
 * compared with what was asked for, so a splice that went wrong is an error, never a bad file.
 */
import YAML, { isAlias, isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Point, ZoneConfig } from './camera-schema';

/** What the page tunes on one camera. A key left undefined is not touched. */
export interface CameraTuning {
  zones?: ZoneConfig[];
  masks?: Point[][];
  /** The camera's `objects.min_score`. */
  min_score?: number;
  /** The camera's `objects.min_scores` (label → score); replaces the whole map. */
  min_scores?: Record<string, number>;
  /** The camera's `motion.masks`: regions where motion is ignored. */
  motion_masks?: Point[][];
}

/** Why a config text cannot be edited; `path` is the key path the problem is at, when there is one. */
export class ConfigEditError extends Error {
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ConfigEditError';
  }
}

/** Normalized coordinates and scores: 4 decimals is a tenth of a pixel on a 1080p frame. */
const DECIMALS = 4;

const round = (n: number): number => {
  const r = Number(n.toFixed(DECIMALS));
  return Object.is(r, -0) ? 0 : r;
};

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** The value of one key, and the values of keys under it when its section may be missing. */
type Change = { kind: 'value'; value: Plain } | { kind: 'section'; keys: Map<string, Change> };

interface Splice {
  start: number;
  end: number;
  text: string;
}

export function editCameraTuning(text: string, cameraName: string, tuning: CameraTuning): string {
  // A file written on Windows keeps its CRLF line ends; the splices below work on LF text.
  if (text.includes('\r\n')) return editCameraTuning(text.replace(/\r\n/g, '\n'), cameraName, tuning).replace(/\n/g, '\r\n');
  const doc = YAML.parseDocument(text, { uniqueKeys: true, keepSourceTokens: false });
  if (doc.errors.length > 0) {
    throw new ConfigEditError(`the config file is not valid YAML: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
  }
  const root = doc.contents;
  if (!isMap(root)) {
    throw new ConfigEditError('the config file has no `cameras` list (it is empty or not a mapping of sections): add the camera to the file first');
  }
  const camerasPair = pairOf(root, 'cameras');
  if (!camerasPair) {
    throw new ConfigEditError(
      'the config file has no `cameras` list (zero-setup or a starter file without a camera): add the camera under cameras: first',
      'cameras',
    );
  }
  refuseShared(camerasPair.value as Node | null, 'cameras');
  const cameras = camerasPair.value;
  if (!isSeq(cameras)) throw new ConfigEditError('must be a list of cameras to be edited', 'cameras');

  const matches = cameras.items.flatMap((item, index) => (isMap(item) && item.get('name') === cameraName ? [{ item, index }] : []));
  const aliased = cameras.items.some((item) => isAlias(item));
  if (matches.length === 0) {
    if (aliased) throw new ConfigEditError(`camera '${cameraName}' is not written out in the file (the list uses YAML aliases)`, 'cameras');
    throw new ConfigEditError(`no camera named '${cameraName}' in the config file`, 'cameras');
  }
  if (matches.length > 1) throw new ConfigEditError(`two cameras are named '${cameraName}'`, `cameras[${matches[1].index}].name`);
  const { item: camera, index } = matches[0];
  const where = `cameras[${index}]`;
  refuseShared(camera, where);
  if (camera.items.some((p) => isScalar(p.key) && p.key.value === '<<')) {
    throw new ConfigEditError('uses a YAML merge key (<<); edit this camera by hand', where);
  }

  const changes = changesOf(tuning);
  const splices: Splice[] = [];
  planSection(text, camera, changes, where, splices);
  const edited = applySplices(text, splices);
  verify(edited, index, cameraName, tuning);
  return edited;
}

/**
 * The tuning as it will be written. It comes from a request body: a value of the wrong shape (a
 * string for a score, two points for a polygon) is written as it is, so the validator that runs next
 * names it with its key path (`cameras[0].zones[1].polygon`) instead of this function failing on it.
 */
function changesOf(tuning: CameraTuning): Map<string, Change> {
  const top = new Map<string, Change>();
  const value = (v: unknown): Change => ({ kind: 'value', value: plainOf(v) });
  const zones: unknown = tuning.zones;
  if (zones !== undefined) top.set('zones', value(Array.isArray(zones) ? zones.map(zoneOrder) : zones));
  if (tuning.masks !== undefined) top.set('masks', value(tuning.masks));
  const objects = new Map<string, Change>();
  if (tuning.min_score !== undefined) objects.set('min_score', value(tuning.min_score));
  if (tuning.min_scores !== undefined) objects.set('min_scores', value(tuning.min_scores));
  if (objects.size > 0) top.set('objects', { kind: 'section', keys: objects });
  if (tuning.motion_masks !== undefined) top.set('motion', { kind: 'section', keys: new Map([['masks', value(tuning.motion_masks)]]) });
  return top;
}

/** JSON-like data with every number rounded; anything JSON cannot hold becomes null. */
function plainOf(v: unknown): Plain {
  if (typeof v === 'number') return Number.isFinite(v) ? round(v) : null;
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) return v.map(plainOf);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plainOf(x)]));
  return null;
}

/** A zone's keys in the order the example writes them: name, polygon, objects, then anything else. */
function zoneOrder(zone: unknown): unknown {
  if (zone === null || typeof zone !== 'object' || Array.isArray(zone)) return zone;
  const { name, polygon, objects, ...rest } = zone as Record<string, unknown>;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(polygon !== undefined ? { polygon } : {}),
    ...(objects !== undefined ? { objects } : {}),
    ...rest,
  };
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => (isScalar(p.key) ? p.key.value === key : p.key === key));
}

/** An edit through an anchor or alias would change every place that shares the node: refused. */
function refuseShared(node: Node | null, path: string): void {
  if (node && isAlias(node)) throw new ConfigEditError('is a YAML alias; write the value out to edit it here', path);
  if (node && 'anchor' in node && node.anchor) {
    throw new ConfigEditError(`carries the YAML anchor &${node.anchor} (other places may share it); remove the anchor to edit it here`, path);
  }
}

function planSection(text: string, map: YAMLMap, changes: Map<string, Change>, path: string, splices: Splice[]): void {
  for (const [key, change] of changes) {
    const keyPath = `${path}.${key}`;
    const pair = pairOf(map, key);
    const current = (pair?.value ?? null) as Node | null;
    refuseShared(current, keyPath);
    if (change.kind === 'section') {
      if (pair && isMap(current)) {
        planSection(text, current, change.keys, keyPath, splices);
        continue;
      }
      if (pair && !(isScalar(current) && current.value === null) && current !== null) {
        throw new ConfigEditError('must be a mapping to be edited', keyPath);
      }
      const section = Object.fromEntries([...change.keys].map(([k, c]) => [k, (c as { value: Plain }).value]));
      if (pair) splices.push(replaceValue(text, pair, section));
      else splices.push(insertKey(text, map, key, section));
      continue;
    }
    if (pair) {
      if (deepEqual(current === null ? null : current.toJSON(), change.value)) continue;
      splices.push(replaceValue(text, pair, change.value));
    } else if (!isEmpty(change.value)) {
      splices.push(insertKey(text, map, key, change.value));
    }
  }
}

function isEmpty(value: Plain): boolean {
  return (Array.isArray(value) && value.length === 0) || (value !== null && typeof value === 'object' && Object.keys(value).length === 0);
}

const lineStart = (text: string, offset: number): number => text.lastIndexOf('\n', offset - 1) + 1;

const column = (text: string, offset: number): number => offset - lineStart(text, offset);

/** Replace an existing value, keeping the style it was written in (flow stays flow, block stays block). */
function replaceValue(text: string, pair: Pair, value: Plain): Splice {
  const node = pair.value as Node | null;
  const key = pair.key as Node;
  const keyEnd = key.range?.[1];
  if (!node?.range || keyEnd === undefined) throw new ConfigEditError(`cannot locate the value of ${String(pair.key)} in the file`);
  const [start, end] = node.range;
  // `objects:` with nothing after it: an empty scalar right after the colon (or before a comment).
  if (isScalar(node) && node.value === null && start === end) {
    return { start: keyEnd, end: start, text: `: ${renderFlow(value)}${text[start] === '#' ? text.slice(keyEnd + 1, start) : ''}` };
  }
  const block = (isMap(node) || isSeq(node)) && !node.flow && start !== end;
  if (!block) return { start, end, text: renderFlow(value) };
  if (isEmpty(value) || !isCollection(value)) return { start: keyEnd, end, text: `: ${renderFlow(value)}\n` };
  if (isSeq(node) && Array.isArray(value)) return replaceBlockList(text, node, value);
  // A block collection's range starts at its first item and ends after its last line's newline.
  return { start, end, text: `${indentRest(renderBlock(value), column(text, start))}\n` };
}

function lineEnd(text: string, offset: number): number {
  if (offset > 0 && text[offset - 1] === '\n') return offset;
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

/**
 * A block list (zones, masks) is rewritten item by item: an item that is still wanted keeps its own
 * lines (its comments, its `1.0`), so a new zone adds lines without touching the zones beside it.
 */
function replaceBlockList(text: string, seq: YAML.YAMLSeq, value: Plain[]): Splice {
  const items = seq.items as Node[];
  const firstRange = items[0]?.range;
  if (!seq.range || !firstRange || items.some((item) => !item?.range)) throw new ConfigEditError('cannot locate a list in the file');
  // A block list's range starts at its first `-`.
  const col = column(text, seq.range[0]);
  const start = lineStart(text, seq.range[0]);
  const end = lineEnd(text, seq.range[1]);
  const segments = items.map((item, i) => {
    const from = lineStart(text, (item.range as [number, number, number])[0]);
    const next = items[i + 1]?.range;
    const to = next ? lineStart(text, next[0]) : end;
    return { json: JSON.stringify(item.toJSON()), text: text.slice(from, to), used: false };
  });
  const out = value.map((item) => {
    const json = JSON.stringify(item);
    const kept = segments.find((s) => !s.used && s.json === json);
    if (kept) {
      kept.used = true;
      return kept.text.endsWith('\n') ? kept.text : `${kept.text}\n`;
    }
    return `${indentAll(renderBlock([item]), col)}\n`;
  });
  return { start, end, text: out.join('') };
}

/** Add a key at the end of a mapping, indented like the mapping's other keys. */
function insertKey(text: string, map: YAMLMap, key: string, value: Plain): Splice {
  if (!map.range) throw new ConfigEditError(`cannot locate where to add ${key} in the file`);
  if (map.flow) {
    const close = text.lastIndexOf('}', map.range[1] - 1);
    const entry = `${map.items.length > 0 ? ', ' : ''}${key}: ${renderFlow(value)}`;
    return { start: close, end: close, text: entry };
  }
  const last = map.items[map.items.length - 1];
  const firstKey = map.items[0]?.key as Node | undefined;
  const col = firstKey?.range ? column(text, firstKey.range[0]) : column(text, map.range[0]);
  const lastEnd = (last?.value as Node | null)?.range?.[1] ?? (last?.key as Node | undefined)?.range?.[1] ?? map.range[1];
  // After the line the last value ends on (a trailing comment stays with its line).
  let at = text.length;
  let prefix = '';
  if (lastEnd > 0 && text[lastEnd - 1] === '\n') {
    at = lastEnd;
  } else {
    const newline = text.indexOf('\n', lastEnd);
    if (newline === -1) prefix = '\n';
    else at = newline + 1;
  }
  const pad = ' '.repeat(col);
  const body = isCollection(value) && !isEmpty(value) ? `\n${indentAll(renderBlock(value), col + 2)}` : ` ${renderFlow(value)}`;
  return { start: at, end: at, text: `${prefix}${pad}${key}:${body}\n` };
}

function isCollection(value: Plain): value is Plain[] | { [key: string]: Plain } {
  return value !== null && typeof value === 'object';
}

function indentRest(block: string, col: number): string {
  const pad = ' '.repeat(col);
  return block
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : pad + line))
    .join('\n');
}

const indentAll = (block: string, col: number): string => ' '.repeat(col) + indentRest(block, col);

/**
 * Block style for the touched value itself and the mappings in its lists (a zone), flow below that:
 * `- name: yard` / `  polygon: [[0.1, 0.5], ...]`, as config/lookout.example.yaml writes them.
 */
function renderBlock(value: Plain[] | { [key: string]: Plain }): string {
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (isCollection(item) && !Array.isArray(item) && !isEmpty(item)) {
          return `- ${Object.entries(item)
            .map(([k, v]) => `${renderKey(k)}: ${renderFlow(v)}`)
            .join('\n  ')}`;
        }
        return `- ${renderFlow(item)}`;
      })
      .join('\n');
  }
  return Object.entries(value)
    .map(([k, v]) => {
      const nested = Array.isArray(v) && v.length > 0 && v.every(isCollection);
      return nested ? `${renderKey(k)}:\n${indentAll(renderBlock(v), 2)}` : `${renderKey(k)}: ${renderFlow(v)}`;
    })
    .join('\n');
}

function renderFlow(value: Plain): string {
  if (Array.isArray(value)) return `[${value.map(renderFlow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${renderKey(k)}: ${renderFlow(v)}`)
      .join(', ')}}`;
  }
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return renderString(value);
  return String(value);
}

const renderKey = (key: string): string => renderString(key);

/** Plain when YAML reads it back as the same string inside a flow collection, else double-quoted. */
function renderString(s: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_ -]*$/.test(s) && s.trim() === s) {
    const back: unknown = YAML.parse(`[${s}]`);
    if (Array.isArray(back) && back[0] === s) return s;
  }
  return JSON.stringify(s);
}

function applySplices(text: string, splices: Splice[]): string {
  const ordered = [...splices].sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of ordered) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The edited text must parse and hold exactly what was asked for; anything else is our bug, not a file. */
function verify(edited: string, index: number, cameraName: string, tuning: CameraTuning): void {
  const doc = YAML.parseDocument(edited, { uniqueKeys: true });
  const cameras = doc.errors.length === 0 ? (doc.toJS() as { cameras?: unknown[] } | null)?.cameras : undefined;
  const camera = cameras?.[index] as
    { name?: string; zones?: unknown; masks?: unknown; objects?: { min_score?: unknown; min_scores?: unknown }; motion?: { masks?: unknown } } | undefined;
  const expect = changesOf(tuning);
  const got = (key: string): unknown => (camera as Record<string, unknown> | undefined)?.[key];
  const same = (actual: unknown, change: Change | undefined): boolean => {
    if (!change || change.kind !== 'value') return true;
    if (actual === undefined || actual === null) return isEmpty(change.value);
    return deepEqual(actual, change.value);
  };
  const sub = (key: string, inner: string): Change | undefined => {
    const c = expect.get(key);
    return c?.kind === 'section' ? c.keys.get(inner) : undefined;
  };
  const ok =
    camera?.name === cameraName &&
    same(got('zones'), expect.get('zones')) &&
    same(got('masks'), expect.get('masks')) &&
    same(camera.objects?.min_score, sub('objects', 'min_score')) &&
    same(camera.objects?.min_scores, sub('objects', 'min_scores')) &&
    same(camera.motion?.masks, sub('motion', 'masks'));
  if (!ok) {
    throw new ConfigEditError(`the edit of camera '${cameraName}' did not produce the asked values (the file layout is unusual); edit it by hand`);
  }
}
