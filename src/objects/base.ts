/**
 * Versioned persistent objects (Nova objects / oslo.versionedobjects, trimmed):
 * typed fields with a changed-fields set, a primitive form that carries the type name and version,
 * and "remotable" methods that run locally when the environment has the database, or are sent to
 * the conductor's `object_action` when it has an indirection API — the caller then applies the
 * field updates the conductor returns and resets its changed-fields set.
 *
 * @example
 * export class Instance extends PersistentObject {
 *   static override readonly objName = 'Instance';
 *   static override readonly VERSION = '1.0';
 *   static override readonly fields = { uuid: { kind: 'string' }, host: { kind: 'string', nullable: true } };
 *   declare uuid: string;
 *   declare host: string | null;
 *   @remotable async save(): Promise<void> { … local implementation on this.db('Instance.save') … }
 * }
 * registerObjectClass(Instance);
 */
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../rpc/context';
import {
  IncompatibleObjectVersionError,
  OBJ_CHANGES,
  OBJ_DATA,
  OBJ_NAME,
  OBJ_VERSION,
  versionIsCompatible,
  type VersionedObjectPrimitive,
} from '../rpc/serializer';
import type { ObjectEnvironment } from './environment';
import { ObjectActionError, OrphanedObjectError } from './errors';

export type FieldKind = 'string' | 'integer' | 'boolean' | 'datetime';

export interface FieldSpec {
  readonly kind: FieldKind;
  /** @default false */
  readonly nullable?: boolean;
}

export type FieldMap = Readonly<Record<string, FieldSpec>>;

/** The static side every object class has. */
export interface PersistentObjectClass<T extends PersistentObject = PersistentObject> {
  new (env: ObjectEnvironment, ctx: RequestContext | null, values?: Record<string, unknown>): T;
  readonly objName: string;
  readonly VERSION: string;
  readonly fields: FieldMap;
  readonly prototype: T;
}

function coerce(objName: string, field: string, spec: FieldSpec, value: unknown): unknown {
  const fail = (what: string): never => {
    throw new ObjectActionError(
      `${objName}.${field}`,
      `expected ${what}, got ${value === null ? 'null' : typeof value}`,
    );
  };
  if (value === null || value === undefined) {
    if (spec.nullable === true) return null;
    return fail(`a non-null ${spec.kind}`);
  }
  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : fail('an integer');
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      return fail('a boolean');
    case 'datetime': {
      const d =
        value instanceof Date
          ? new Date(value.getTime())
          : typeof value === 'string'
            ? new Date(value)
            : undefined;
      if (d === undefined || Number.isNaN(d.getTime())) return fail('a datetime');
      return d;
    }
  }
}

function toPrimitiveValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

const objectClasses = new Map<string, PersistentObjectClass>();
const remotableMethods = new WeakMap<object, Set<string>>();
const remotableClassMethods = new WeakMap<object, Set<string>>();

function addTo(map: WeakMap<object, Set<string>>, key: object, name: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(name);
  map.set(key, set);
}

/** Make `cls` known by name (for deserialization) and give it its field accessors. */
export function registerObjectClass(cls: PersistentObjectClass): void {
  const existing = objectClasses.get(cls.objName);
  if (existing !== undefined && existing !== cls)
    throw new TypeError(`object class '${cls.objName}' is already registered`);
  for (const [name, spec] of Object.entries(cls.fields)) {
    Object.defineProperty(cls.prototype, name, {
      configurable: true,
      enumerable: true,
      get(this: PersistentObject) {
        return this.objGetField(name);
      },
      set(this: PersistentObject, value: unknown) {
        this.objSetField(name, coerce(cls.objName, name, spec, value));
      },
    });
  }
  objectClasses.set(cls.objName, cls);
}

export function objectClassByName(name: string): PersistentObjectClass | undefined {
  return objectClasses.get(name);
}

/** Whether `method` may be invoked remotely on instances of `cls` (it is decorated @remotable). */
export function isRemotableMethod(cls: PersistentObjectClass, method: string): boolean {
  for (let p: object | null = cls.prototype; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (remotableMethods.get(p)?.has(method) === true) return true;
  }
  return false;
}

export function isRemotableClassMethod(cls: PersistentObjectClass, method: string): boolean {
  for (let c: object | null = cls; c !== null; c = Object.getPrototypeOf(c) as object | null) {
    if (remotableClassMethods.get(c)?.has(method) === true) return true;
  }
  return false;
}

export abstract class PersistentObject {
  static readonly objName: string = 'PersistentObject';
  static readonly VERSION: string = '1.0';
  static readonly fields: FieldMap = {};

  private readonly objValues = new Map<string, unknown>();
  private objChanged = new Set<string>();
  private objCtx: RequestContext | null;

  constructor(
    /** Where this object's methods run (database or conductor). */
    readonly objEnv: ObjectEnvironment,
    ctx: RequestContext | null,
    values: Record<string, unknown> = {},
  ) {
    this.objCtx = ctx;
    const cls = this.objClass;
    for (const [k, v] of Object.entries(values)) {
      const spec = cls.fields[k];
      if (spec === undefined) throw new ObjectActionError(`${cls.objName}()`, `unknown field '${k}'`);
      if (v !== undefined) this.objSetField(k, coerce(cls.objName, k, spec, v));
    }
  }

  get objClass(): PersistentObjectClass<this> {
    return this.constructor as PersistentObjectClass<this>;
  }

  get objContext(): RequestContext | null {
    return this.objCtx;
  }

  /** Attach a context (e.g. an object built without one). */
  objSetContext(ctx: RequestContext): void {
    this.objCtx = ctx;
  }

  objAttrIsSet(name: string): boolean {
    return this.objValues.has(name);
  }

  /** @internal used by the generated accessors */
  objGetField(name: string): unknown {
    if (!this.objValues.has(name)) {
      throw new ObjectActionError(`${this.objClass.objName}.${name}`, 'the field is not set');
    }
    return this.objValues.get(name);
  }

  /** @internal used by the generated accessors (value already coerced) */
  objSetField(name: string, value: unknown): void {
    this.objValues.set(name, value);
    this.objChanged.add(name);
  }

  /** Fields set or changed since the last reset (what save() writes). */
  objWhatChanged(): Set<string> {
    return new Set(this.objChanged);
  }

  objGetChanges(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of this.objChanged) out[name] = this.objValues.get(name);
    return out;
  }

  objResetChanges(fields?: readonly string[]): void {
    if (fields === undefined) this.objChanged = new Set();
    else for (const f of fields) this.objChanged.delete(f);
  }

  /** A copy with the same values, changes, context and environment. */
  objClone(): this {
    const copy = new this.objClass(this.objEnv, this.objCtx);
    for (const [k, v] of this.objValues) copy.objValues.set(k, v instanceof Date ? new Date(v.getTime()) : v);
    copy.objChanged = new Set(this.objChanged);
    return copy;
  }

  /** Set fields from trusted data (a DB row, the conductor's updates) without marking them changed. */
  objLoad(values: Record<string, unknown>): void {
    const cls = this.objClass;
    for (const [k, v] of Object.entries(values)) {
      const spec = cls.fields[k];
      if (spec === undefined) continue;
      this.objValues.set(k, coerce(cls.objName, k, spec, v));
      this.objChanged.delete(k);
    }
  }

  /** Field values as JSON-safe primitives (dates as ISO strings), only the fields that are set. */
  objFieldPrimitives(): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    for (const [k, v] of this.objValues) data[k] = toPrimitiveValue(v);
    return data;
  }

  toPrimitive(): VersionedObjectPrimitive {
    return {
      [OBJ_NAME]: this.objClass.objName,
      [OBJ_VERSION]: this.objClass.VERSION,
      [OBJ_DATA]: this.objFieldPrimitives(),
      [OBJ_CHANGES]: [...this.objChanged],
    };
  }

  /** Rebuild an object of a registered class, bound to `env`; an unknown type or newer version is an error. */
  static fromPrimitive(
    env: ObjectEnvironment,
    ctx: RequestContext | null,
    p: VersionedObjectPrimitive,
  ): PersistentObject {
    const cls = objectClasses.get(p[OBJ_NAME]);
    if (cls === undefined) throw new IncompatibleObjectVersionError(p[OBJ_NAME], p[OBJ_VERSION], null);
    if (!versionIsCompatible(cls.VERSION, p[OBJ_VERSION])) {
      throw new IncompatibleObjectVersionError(p[OBJ_NAME], p[OBJ_VERSION], cls.VERSION);
    }
    const obj = new cls(env, ctx);
    obj.objLoad(p[OBJ_DATA]);
    const changes = p[OBJ_CHANGES] ?? [];
    for (const c of changes) if (obj.objValues.has(c)) obj.objChanged.add(c);
    return obj;
  }

  /** The DataSource for a local method; DBNotAllowed naming `Class.method` when the database is blocked. */
  protected db(method: string): DataSource {
    return this.objEnv.dataSource(`${this.objClass.objName}.${method}`);
  }

  /** The context a remotable method runs with; OrphanedObjectError without one. */
  protected requireContext(method: string): RequestContext {
    if (this.objCtx === null) throw new OrphanedObjectError(this.objClass.objName, method);
    return this.objCtx;
  }
}

type AsyncMethod = (...args: never[]) => Promise<unknown>;

/**
 * Decorates an instance method as remotable. With an indirection API in the object's environment
 * the call goes to the conductor; the returned field updates are applied to this object and its
 * changed-fields set becomes what is still changed on the conductor's copy. Otherwise it runs here.
 */
export function remotable<T extends AsyncMethod>(
  target: object,
  key: string,
  descriptor: TypedPropertyDescriptor<T>,
): void {
  const original = descriptor.value as unknown as
    ((this: PersistentObject, ...args: unknown[]) => Promise<unknown>) | undefined;
  if (typeof original !== 'function') throw new TypeError(`@remotable ${key} must decorate a method`);
  addTo(remotableMethods, target, key);
  descriptor.value = async function (this: PersistentObject, ...args: unknown[]): Promise<unknown> {
    const ctx = this.objContext;
    if (ctx === null) throw new OrphanedObjectError(this.objClass.objName, key);
    const indirection = this.objEnv.indirection;
    if (indirection === undefined) return original.apply(this, args);
    const reply = await indirection.objectAction(ctx, this, key, args);
    this.objLoad(reply.updates);
    this.objResetChanges();
    for (const f of reply.whatChanged) if (this.objAttrIsSet(f)) this.objSetField(f, this.objGetField(f));
    return reply.result;
  } as unknown as T;
}

type AsyncStatic = (env: ObjectEnvironment, ctx: RequestContext, ...args: never[]) => Promise<unknown>;
type LooseStatic = (
  this: PersistentObjectClass,
  env: ObjectEnvironment,
  ctx: RequestContext,
  ...args: unknown[]
) => Promise<unknown>;

/**
 * Decorates a static method `(env, ctx, …args)` as remotable: with an indirection API in `env` it
 * runs on the conductor (`object_class_action_versions`) and its result (objects included) comes
 * back bound to `env`; otherwise it runs here.
 */
export function remotableClassmethod<T extends AsyncStatic>(
  target: object,
  key: string,
  descriptor: TypedPropertyDescriptor<T>,
): void {
  const original = descriptor.value as unknown as LooseStatic | undefined;
  if (typeof original !== 'function')
    throw new TypeError(`@remotableClassmethod ${key} must decorate a static method`);
  addTo(remotableClassMethods, target, key);
  descriptor.value = async function (
    this: PersistentObjectClass,
    env: ObjectEnvironment,
    ctx: RequestContext,
    ...args: unknown[]
  ): Promise<unknown> {
    const indirection = env.indirection;
    if (indirection === undefined) return original.call(this, env, ctx, ...args);
    return indirection.objectClassAction(ctx, this.objName, key, this.VERSION, args);
  } as unknown as T;
}
