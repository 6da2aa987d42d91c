// Derives a TypeScript type from a JSON Schema literal (`as const`), for the subset of JSON Schema the
// payload schemas use. The payload types are derived from the schemas rather than written twice, so a
// schema change is a compile error wherever a payload is built or read (Zigbee2MQTT's typed API idea).

type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** An object type without keys: what a schema without properties (or extra keys) adds to `&`. */
type NoKeys = Record<never, never>;

type RequiredKeys<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;
type Props<S> = S extends { readonly properties: infer P } ? P : NoKeys;

type Extra<S> = S extends { readonly additionalProperties: infer AP }
  ? AP extends false
    ? NoKeys
    : AP extends true
      ? { [key: string]: unknown }
      : { [key: string]: FromSchema<AP> }
  : NoKeys;

type ObjectFrom<S> = Simplify<
  { -readonly [K in keyof Props<S> & RequiredKeys<S>]: FromSchema<Props<S>[K]> } & {
    -readonly [K in Exclude<keyof Props<S>, RequiredKeys<S>>]?: FromSchema<Props<S>[K]>;
  } & Extra<S>
>;

type FromType<S, T> = T extends 'object'
  ? ObjectFrom<S>
  : T extends 'array'
    ? S extends { readonly items: infer I }
      ? FromSchema<I>[]
      : unknown[]
    : T extends 'string'
      ? string
      : T extends 'number' | 'integer'
        ? number
        : T extends 'boolean'
          ? boolean
          : T extends 'null'
            ? null
            : unknown;

export type FromSchema<S> = S extends { readonly const: infer C }
  ? C
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly anyOf: readonly (infer A)[] }
      ? FromSchema<A>
      : S extends { readonly type: readonly (infer T)[] }
        ? FromType<S, T>
        : S extends { readonly type: infer T }
          ? FromType<S, T>
          : unknown;
