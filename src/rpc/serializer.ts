/**
 * The hook that lets rich values cross RPC: arguments are passed through `serializeEntity` before
 * they are sent and `deserializeEntity` when they arrive (results too), as oslo.messaging's
 * Serializer. {@link VersionedObjectSerializer} turns registered persistent objects into a
 * primitive that carries the type name and version, and back on the other side.
 */
import type { RequestContext } from './context';
import { registerRemoteErrorClass, RpcError } from './errors';

export interface RpcSerializer {
  serializeEntity(ctx: RequestContext, value: unknown): unknown;
  deserializeEntity(ctx: RequestContext, value: unknown): unknown;
}

/** Leaves values as they are (the transport still JSON-copies them). */
export const noopSerializer: RpcSerializer = {
  serializeEntity: (_ctx, value) => value,
  deserializeEntity: (_ctx, value) => value,
};

/** Keys of the primitive form of a versioned object on the wire. */
export const OBJ_NAME = 'obj.name';
export const OBJ_VERSION = 'obj.version';
export const OBJ_DATA = 'obj.data';
export const OBJ_CHANGES = 'obj.changes';

export interface VersionedObjectPrimitive {
  readonly [OBJ_NAME]: string;
  readonly [OBJ_VERSION]: string;
  readonly [OBJ_DATA]: Record<string, unknown>;
  readonly [OBJ_CHANGES]?: readonly string[];
}

/** A value that knows how to become a primitive (persistent objects implement it). */
export interface SerializableObject {
  toPrimitive(): VersionedObjectPrimitive;
}

export interface ObjectTypeRegistration {
  /** The local version of the type, 'major.minor'. */
  readonly version: string;
  fromPrimitive(primitive: VersionedObjectPrimitive, ctx: RequestContext): unknown;
}

/** An object arrived whose type is unknown or whose version this side cannot read. */
export class IncompatibleObjectVersionError extends RpcError {
  readonly code = 'INCOMPATIBLE_OBJECT_VERSION';
  constructor(
    readonly objName: string,
    readonly objVersion: string,
    readonly supportedVersion: string | null,
  ) {
    super(
      supportedVersion === null
        ? `unknown object type '${objName}'`
        : `object '${objName}' version ${objVersion} is newer than or incompatible with local version ${supportedVersion}`,
    );
  }
}

registerRemoteErrorClass(IncompatibleObjectVersionError);

export function parseVersion(version: string): { major: number; minor: number } | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(version);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** True when a peer speaking `requested` can be served by an implementation of `available`. */
export function versionIsCompatible(available: string, requested: string): boolean {
  const a = parseVersion(available);
  const r = parseVersion(requested);
  if (a === undefined || r === undefined) return false;
  return a.major === r.major && r.minor <= a.minor;
}

function isPrimitive(value: unknown): value is VersionedObjectPrimitive {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Record<string, unknown>)[OBJ_NAME] === 'string' &&
    typeof (value as Record<string, unknown>)[OBJ_VERSION] === 'string' &&
    typeof (value as Record<string, unknown>)[OBJ_DATA] === 'object'
  );
}

function isSerializable(value: unknown): value is SerializableObject {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as SerializableObject).toPrimitive === 'function'
  );
}

/** Registry of object types by name; one per process is usual, but tests may make their own. */
export class ObjectRegistry {
  private readonly types = new Map<string, ObjectTypeRegistration>();

  register(name: string, registration: ObjectTypeRegistration): void {
    if (parseVersion(registration.version) === undefined) {
      throw new TypeError(`object '${name}' has an invalid version '${registration.version}'`);
    }
    this.types.set(name, registration);
  }

  get(name: string): ObjectTypeRegistration | undefined {
    return this.types.get(name);
  }
}

/** The process-wide registry persistent objects register in. */
export const defaultObjectRegistry = new ObjectRegistry();

/**
 * Serializes {@link SerializableObject}s anywhere inside arrays and plain objects, and rebuilds
 * registered types on the way in. An unknown type or an incompatible version is an error.
 */
export class VersionedObjectSerializer implements RpcSerializer {
  constructor(private readonly registry: ObjectRegistry = defaultObjectRegistry) {}

  serializeEntity(ctx: RequestContext, value: unknown): unknown {
    if (isSerializable(value)) return value.toPrimitive();
    if (Array.isArray(value)) return value.map((v) => this.serializeEntity(ctx, v));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.serializeEntity(ctx, v)]));
    }
    return value;
  }

  deserializeEntity(ctx: RequestContext, value: unknown): unknown {
    if (isPrimitive(value)) {
      const name = value[OBJ_NAME];
      const reg = this.registry.get(name);
      if (reg === undefined) throw new IncompatibleObjectVersionError(name, value[OBJ_VERSION], null);
      if (!versionIsCompatible(reg.version, value[OBJ_VERSION])) {
        throw new IncompatibleObjectVersionError(name, value[OBJ_VERSION], reg.version);
      }
      return reg.fromPrimitive(value, ctx);
    }
    if (Array.isArray(value)) return value.map((v) => this.deserializeEntity(ctx, v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.deserializeEntity(ctx, v)]));
    }
    return value;
  }
}
