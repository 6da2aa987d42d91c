// Renders Home Assistant value templates the way HA does, strictly: with nunjucks (a Jinja
// implementation), HA's variables (`value`, and `value_json` only when the payload is JSON) and the HA
// filters and tests Lookout's templates use. Anything undefined that a template touches — a missing
// key read further, output or filtered — throws, as HA logs it as a template error
// ("'dict object' has no attribute 'door'"); only `is defined` and `default` may look at it.
import nunjucks from 'nunjucks';

class TemplateUndefinedError extends Error {}

const UNDEFINED_MARK = Symbol('jinja undefined');

/** Jinja's Undefined: passes `is defined` / `default`, throws on any other use. */
function undefinedValue(what: string): object {
  const fail = (): never => {
    throw new TemplateUndefinedError(`${what} is undefined`);
  };
  return new Proxy(
    {},
    {
      get: (_t, key) => (key === UNDEFINED_MARK ? true : fail()),
      has: fail,
      ownKeys: fail,
      apply: fail,
    },
  );
}

const isUndefined = (v: unknown): boolean =>
  v === undefined || (typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[UNDEFINED_MARK] === true);

/** A JSON value as Jinja sees it: a missing key of a dict is Undefined. */
function jinjaValue(v: unknown, path: string): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => jinjaValue(x, `${path}[${i}]`));
  const obj = v as Record<string, unknown>;
  return new Proxy(obj, {
    get: (target, key) => {
      if (typeof key === 'symbol') return key === UNDEFINED_MARK ? false : undefined;
      // nunjucks probes these on every object it handles; they are not template reads.
      if (key === '__keywords' || key === 'toJSON' || key === 'then' || key === 'length' || key === '__proto__') return undefined;
      if (Object.prototype.hasOwnProperty.call(target, key)) return jinjaValue(target[key], `${path}.${key}`);
      return undefinedValue(`'dict object' has no attribute '${key}' (${path})`);
    },
  });
}

const env = new nunjucks.Environment(null, { autoescape: false });
// addTest exists in nunjucks 3 but is missing from @types/nunjucks.
const addTest = (name: string, fn: (v: unknown) => boolean): void =>
  (env as unknown as { addTest(n: string, f: (v: unknown) => boolean): void }).addTest(name, fn);
addTest('defined', (v: unknown) => !isUndefined(v));
addTest('none', (v: unknown) => {
  if (isUndefined(v)) throw new TemplateUndefinedError('an undefined value tested for none');
  return v === null;
});
env.addFilter('default', (v: unknown, d: unknown, boolean = false) => (isUndefined(v) || (boolean && !v) ? d : v));
const strict = (name: string, fn: (v: unknown, ...a: unknown[]) => unknown) =>
  env.addFilter(name, (v: unknown, ...a: unknown[]) => {
    if (isUndefined(v)) throw new TemplateUndefinedError(`an undefined value through the '${name}' filter`);
    return fn(v, ...a);
  });
strict('int', (v, d = 0) => {
  const n = typeof v === 'number' ? Math.trunc(v) : Number.parseInt(String(v), 10);
  return Number.isNaN(n) ? d : n;
});
strict('float', (v, d = 0) => {
  const n = typeof v === 'number' ? v : Number.parseFloat(String(v));
  return Number.isNaN(n) ? d : n;
});
strict('round', (v, p = 0) => {
  const f = 10 ** (p as number);
  return Math.round((v as number) * f) / f;
});
strict('tojson', (v) => JSON.stringify(v, (_k, x: unknown) => x));

/** What HA would put in the state for `payload` through `template`; throws where HA logs a template error. */
export function renderHa(template: string, payload: string, extra: Record<string, unknown> = {}): string {
  let json: unknown;
  let hasJson = false;
  try {
    json = JSON.parse(payload);
    hasJson = true;
  } catch {
    // not JSON: HA leaves value_json out
  }
  const context = { value: payload, value_json: hasJson ? jinjaValue(json, 'value_json') : undefinedValue('value_json'), ...extra };
  const out = env.renderString(template, context);
  if (/undefined|\[object /.test(out)) throw new TemplateUndefinedError(`rendered '${out}'`);
  return out.trim();
}
