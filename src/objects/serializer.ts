/**
 * The RPC serializer for persistent objects: objects anywhere in arguments or results travel as
 * their primitive (type name, version, data, changes) and are rebuilt on the other side bound to
 * that side's {@link ObjectEnvironment} and the request's context.
 */
import type { RequestContext } from '../rpc/context';
import {
  OBJ_DATA,
  OBJ_NAME,
  OBJ_VERSION,
  type RpcSerializer,
  type VersionedObjectPrimitive,
} from '../rpc/serializer';
import { PersistentObject } from './base';
import type { ObjectEnvironment } from './environment';

function isPrimitive(value: unknown): value is VersionedObjectPrimitive {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v[OBJ_NAME] === 'string' &&
    typeof v[OBJ_VERSION] === 'string' &&
    typeof v[OBJ_DATA] === 'object' &&
    v[OBJ_DATA] !== null
  );
}

export class ObjectSerializer implements RpcSerializer {
  constructor(private readonly env: ObjectEnvironment) {}

  serializeEntity(ctx: RequestContext, value: unknown): unknown {
    if (value instanceof PersistentObject) return value.toPrimitive();
    if (Array.isArray(value)) return value.map((v) => this.serializeEntity(ctx, v));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.serializeEntity(ctx, v)]));
    }
    return value;
  }

  deserializeEntity(ctx: RequestContext, value: unknown): unknown {
    if (isPrimitive(value)) return PersistentObject.fromPrimitive(this.env, ctx, value);
    if (Array.isArray(value)) return value.map((v) => this.deserializeEntity(ctx, v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.deserializeEntity(ctx, v)]));
    }
    return value;
  }
}
