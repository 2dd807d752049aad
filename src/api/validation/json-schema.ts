/**
 * A small JSON-schema (draft 4 subset) validator that reports its first error exactly as Cinder does:
 * Python `jsonschema` 4.x messages, raised through Cinder's `_SchemaValidator` wrapper.
 *
 * Why not ajv: Cinder's messages embed Python reprs, follow the schema's keyword order (the first
 * error wins), apply `minimum`/`maximum` to numeric strings, and let some format checkers raise their
 * own errors. Porting Cinder's schemas onto this engine keeps every message word for word.
 */
import { InvalidNameError, SchemaValidationError } from '../errors';
import { pyNumber, pyRepr, pyStr, pyStrOf, pyIntFromStr, pyLen } from './pyrepr';

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

/**
 * A format checker: returns true when the value conforms, false for a generic
 * "'x' is not a 'fmt'" error, or throws an error to report instead (as Cinder's checkers do).
 */
export type FormatChecker = (value: unknown) => boolean;

/** The schema keywords this engine understands; key order in the literal is evaluation order. */
export interface Schema {
  readonly type?: JsonType | readonly JsonType[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly patternProperties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: boolean;
  readonly required?: readonly string[];
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly unknown[];
  readonly oneOf?: readonly Schema[];
  readonly anyOf?: readonly Schema[];
  readonly format?: string;
}

/** One validation failure, as Python jsonschema's `ValidationError` (message, path, instance). */
export interface SchemaError {
  readonly message: string;
  readonly path: readonly (string | number)[];
  readonly instance: unknown;
  /** Set when a format checker failed with a cause (Cinder renders an `InvalidName` cause's own text). */
  readonly cause?: Error;
}

const REGEX_CACHE = new Map<string, RegExp>();

/** Patterns are compiled once (with the 'u' flag: code points, as Python's re on str). */
function regex(pattern: string): RegExp {
  let re = REGEX_CACHE.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'u');
    REGEX_CACHE.set(pattern, re);
  }
  return re;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isType(v: unknown, t: JsonType): boolean {
  switch (t) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
  }
}

/** Cinder's `_number_from_str`: int(), then float(), of the value; null when neither works. */
function numberFromStr(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return null;
  const asInt = pyIntFromStr(v);
  if (asInt !== null) return asInt;
  const t = v.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return null;
}

function pyEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEqual(a[k], b[k]));
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => pyEqual(x, b[i]));
  return a === b;
}

/** Validates against a schema; formats are looked up in `formats`. */
export class SchemaValidator {
  constructor(
    private readonly schema: Schema,
    private readonly formats: Readonly<Record<string, FormatChecker>> = {},
  ) {}

  /** The first error in Python jsonschema's iteration order, or null when the instance is valid. */
  firstError(instance: unknown): SchemaError | null {
    const it = this.iterErrors(instance, this.schema, []).next();
    return it.done === true ? null : it.value;
  }

  /**
   * Throws Cinder's error for the first failure: the `InvalidName` cause itself, or a
   * {@link SchemaValidationError} worded "Invalid input for field/attribute <last path element>.
   * Value: <str(instance)>. <message>" (just "<message>" at the top level).
   */
  validate(instance: unknown): void {
    const err = this.firstError(instance);
    if (err === null) return;
    if (err.cause instanceof InvalidNameError) throw err.cause;
    if (err.path.length > 0) {
      const field = String(err.path[err.path.length - 1]);
      throw new SchemaValidationError(
        `Invalid input for field/attribute ${field}. Value: ${pyStrOf(err.instance)}. ${err.message}`,
        field,
      );
    }
    throw new SchemaValidationError(err.message, null);
  }

  private *iterErrors(
    instance: unknown,
    schema: Schema,
    path: readonly (string | number)[],
  ): Generator<SchemaError, void, undefined> {
    const fail = (message: string, cause?: Error): SchemaError => ({ message, path, instance, cause });
    for (const keyword of Object.keys(schema) as (keyof Schema)[]) {
      switch (keyword) {
        case 'type': {
          const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? []);
          if (!types.some((t) => isType(instance, t))) {
            yield fail(`${pyRepr(instance)} is not of type ${types.map((t) => pyStr(t)).join(', ')}`);
          }
          break;
        }
        case 'properties': {
          if (!isObject(instance)) break;
          for (const [prop, sub] of Object.entries(schema.properties ?? {})) {
            if (Object.prototype.hasOwnProperty.call(instance, prop)) {
              yield* this.iterErrors(instance[prop], sub, [...path, prop]);
            }
          }
          break;
        }
        case 'patternProperties': {
          if (!isObject(instance)) break;
          for (const [pattern, sub] of Object.entries(schema.patternProperties ?? {})) {
            const re = regex(pattern);
            for (const [k, v] of Object.entries(instance)) {
              if (re.test(k)) yield* this.iterErrors(v, sub, [...path, k]);
            }
          }
          break;
        }
        case 'additionalProperties': {
          if (!isObject(instance) || schema.additionalProperties !== false) break;
          const props = schema.properties ?? {};
          const patterns = Object.keys(schema.patternProperties ?? {});
          const res = patterns.map((p) => regex(p));
          const extras = Object.keys(instance).filter(
            (k) => !Object.prototype.hasOwnProperty.call(props, k) && !res.some((re) => re.test(k)),
          );
          if (extras.length === 0) break;
          if (patterns.length > 0) {
            const joined = [...extras].sort().map(pyStr).join(', ');
            const verb = extras.length === 1 ? 'does' : 'do';
            yield fail(
              `${joined} ${verb} not match any of the regexes: ${[...patterns].sort().map(pyStr).join(', ')}`,
            );
          } else {
            // jsonschema 4.10 (Debian 12, what Cinder 21 runs on) lists them sorted.
            const verb = extras.length === 1 ? 'was' : 'were';
            yield fail(
              `Additional properties are not allowed (${[...extras].sort().map(pyStr).join(', ')} ${verb} unexpected)`,
            );
          }
          break;
        }
        case 'required': {
          if (!isObject(instance)) break;
          for (const prop of schema.required ?? []) {
            if (!Object.prototype.hasOwnProperty.call(instance, prop))
              yield fail(`${pyStr(prop)} is a required property`);
          }
          break;
        }
        case 'minProperties':
          if (isObject(instance) && Object.keys(instance).length < (schema.minProperties ?? 0)) {
            yield fail(`${pyRepr(instance)} does not have enough properties`);
          }
          break;
        case 'maxProperties':
          if (isObject(instance) && Object.keys(instance).length > (schema.maxProperties ?? Infinity)) {
            yield fail(`${pyRepr(instance)} has too many properties`);
          }
          break;
        case 'minLength':
          if (typeof instance === 'string' && pyLen(instance) < (schema.minLength ?? 0)) {
            yield fail(`${pyRepr(instance)} is too short`);
          }
          break;
        case 'maxLength':
          if (typeof instance === 'string' && pyLen(instance) > (schema.maxLength ?? Infinity)) {
            yield fail(`${pyRepr(instance)} is too long`);
          }
          break;
        case 'pattern':
          if (typeof instance === 'string' && !regex(schema.pattern ?? '').test(instance)) {
            yield fail(`${pyRepr(instance)} does not match ${pyStr(schema.pattern ?? '')}`);
          }
          break;
        case 'minimum': {
          // Cinder's override: numeric strings are compared too, and the message shows the number.
          const n = numberFromStr(instance);
          if (n !== null && schema.minimum !== undefined && n < schema.minimum) {
            yield fail(`${pyNumber(n)} is less than the minimum of ${pyNumber(schema.minimum)}`);
          }
          break;
        }
        case 'maximum': {
          const n = numberFromStr(instance);
          if (n !== null && schema.maximum !== undefined && n > schema.maximum) {
            yield fail(`${pyNumber(n)} is greater than the maximum of ${pyNumber(schema.maximum)}`);
          }
          break;
        }
        case 'enum':
          if (!(schema.enum ?? []).some((e) => pyEqual(e, instance))) {
            yield fail(`${pyRepr(instance)} is not one of ${pyRepr(schema.enum ?? [])}`);
          }
          break;
        case 'oneOf':
        case 'anyOf': {
          const subs = schema[keyword] ?? [];
          const valid = subs.filter((s) => this.iterErrors(instance, s, path).next().done === true);
          if (valid.length === 0)
            yield fail(`${pyRepr(instance)} is not valid under any of the given schemas`);
          else if (keyword === 'oneOf' && valid.length > 1) {
            yield fail(
              `${pyRepr(instance)} is valid under each of ${valid.map((s) => pyRepr(s)).join(', ')}`,
            );
          }
          break;
        }
        case 'format': {
          const checker = this.formats[schema.format ?? ''];
          if (checker === undefined) break;
          // A checker may throw its own error (Cinder's unregistered exceptions propagate as they are);
          // InvalidName is Cinder's one registered cause and is rendered by validate().
          let ok: boolean;
          try {
            ok = checker(instance);
          } catch (e) {
            if (e instanceof InvalidNameError) {
              yield fail(`${pyRepr(instance)} is not a ${pyStr(schema.format ?? '')}`, e);
              break;
            }
            throw e;
          }
          if (!ok) yield fail(`${pyRepr(instance)} is not a ${pyStr(schema.format ?? '')}`);
          break;
        }
      }
    }
  }
}
