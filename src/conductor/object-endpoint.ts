/**
 * The conductor side of object indirection (Nova conductor manager `object_action` and
 * `object_class_action_versions`): it runs an object's remotable method against the database and
 * returns the result together with the fields the method changed, which the caller applies to its
 * own copy. Only methods decorated remotable can be invoked.
 */
import type { RequestContext } from '../rpc/context';
import { InvalidRpcMessageError } from '../rpc/errors';
import {
  isRemotableClassMethod,
  isRemotableMethod,
  objectClassByName,
  PersistentObject,
} from '../objects/base';
import type { ObjectEnvironment } from '../objects/environment';
import { ObjectActionError } from '../objects/errors';
import { IncompatibleObjectVersionError, versionIsCompatible } from '../rpc/serializer';

/** RPC API version of the object endpoint. */
export const CONDUCTOR_OBJECT_API_VERSION = '3.0';

function fieldPrimitive(value: unknown): string {
  return JSON.stringify(value instanceof Date ? value.toISOString() : value);
}

export class ConductorObjectEndpoint {
  readonly rpcApiVersion = CONDUCTOR_OBJECT_API_VERSION;
  readonly rpcMethods = ['object_action', 'object_class_action_versions'] as const;

  /** @param env the conductor's environment: direct database access, no indirection. */
  constructor(private readonly env: ObjectEnvironment) {
    if (env.indirection !== undefined)
      throw new TypeError('the conductor must run objects locally, not through another indirection');
  }

  /**
   * args: `{ objinst, objmethod, args }` — `objinst` already rebuilt by the server's ObjectSerializer.
   * Returns `{ updates, whatChanged, result }`.
   */
  async object_action(
    ctx: RequestContext,
    args: Record<string, unknown>,
  ): Promise<{ updates: Record<string, unknown>; whatChanged: string[]; result: unknown }> {
    const obj = args['objinst'];
    const method = args['objmethod'];
    const methodArgs = args['args'] ?? [];
    if (!(obj instanceof PersistentObject))
      throw new InvalidRpcMessageError('object_action needs objinst, a persistent object');
    if (typeof method !== 'string')
      throw new InvalidRpcMessageError('object_action needs objmethod, a string');
    if (!Array.isArray(methodArgs)) throw new InvalidRpcMessageError('object_action args must be an array');
    const cls = obj.objClass;
    if (!isRemotableMethod(cls, method)) {
      throw new ObjectActionError(`${cls.objName}.${method}`, 'not a remotable method');
    }
    obj.objSetContext(ctx);
    const before = obj.objClone();
    const fn = (obj as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
    const result = await fn.apply(obj, methodArgs);
    const updates: Record<string, unknown> = {};
    const after = obj.objFieldPrimitives();
    for (const [name, value] of Object.entries(after)) {
      if (!before.objAttrIsSet(name) || fieldPrimitive(before.objGetField(name)) !== JSON.stringify(value)) {
        updates[name] = value;
      }
    }
    return { updates, whatChanged: [...obj.objWhatChanged()], result };
  }

  /** args: `{ objname, objmethod, objectVersions: { [name]: version }, args }`. */
  async object_class_action_versions(ctx: RequestContext, args: Record<string, unknown>): Promise<unknown> {
    const objName = args['objname'];
    const method = args['objmethod'];
    const versions = (args['objectVersions'] ?? {}) as Record<string, unknown>;
    const methodArgs = args['args'] ?? [];
    if (typeof objName !== 'string' || typeof method !== 'string') {
      throw new InvalidRpcMessageError('object_class_action_versions needs objname and objmethod strings');
    }
    if (!Array.isArray(methodArgs))
      throw new InvalidRpcMessageError('object_class_action_versions args must be an array');
    const cls = objectClassByName(objName);
    if (cls === undefined)
      throw new IncompatibleObjectVersionError(objName, String(versions[objName] ?? '?'), null);
    const wanted = versions[objName];
    if (typeof wanted === 'string' && !versionIsCompatible(cls.VERSION, wanted)) {
      throw new IncompatibleObjectVersionError(objName, wanted, cls.VERSION);
    }
    if (!isRemotableClassMethod(cls, method)) {
      throw new ObjectActionError(`${objName}.${method}`, 'not a remotable class method');
    }
    const fn = (cls as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
    return fn.call(cls, this.env, ctx, ...methodArgs);
  }
}
