/**
 * The compute side of object indirection: remotable object methods become RPC calls to the
 * conductor's object endpoint ({@link ConductorObjectEndpoint}).
 *
 * @example
 * const env = ObjectEnvironment.remote('nova-compute', (e) => new ConductorObjectIndirectionApi(transport, e));
 * const node = await ComputeNode.getByHostAndNode(env, ctx, 'cmp1', 'cmp1'); // runs on the conductor
 * node.vcpusUsed = 2;
 * await node.save(); // object_action on the conductor; node gets the updated fields back
 */
import { RpcClient } from '../rpc/client';
import type { RequestContext } from '../rpc/context';
import type { Transport } from '../rpc/transport';
import type { PersistentObject } from '../objects/base';
import type { ObjectActionReply, ObjectEnvironment, ObjectIndirectionApi } from '../objects/environment';
import { ObjectSerializer } from '../objects/serializer';
import { CONDUCTOR_OBJECT_API_VERSION } from './object-endpoint';

export interface ConductorObjectIndirectionOptions {
  /** @default 'conductor' */
  readonly topic?: string;
  /** Call timeout. @default the transport's (rpc_response_timeout) */
  readonly timeoutMs?: number;
}

export class ConductorObjectIndirectionApi implements ObjectIndirectionApi {
  private readonly client: RpcClient;

  constructor(transport: Transport, env: ObjectEnvironment, options: ConductorObjectIndirectionOptions = {}) {
    this.client = new RpcClient(
      transport,
      { topic: options.topic ?? 'conductor' },
      {
        version: CONDUCTOR_OBJECT_API_VERSION,
        serializer: new ObjectSerializer(env),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      },
    );
  }

  async objectAction(
    ctx: RequestContext,
    obj: PersistentObject,
    method: string,
    args: readonly unknown[],
  ): Promise<ObjectActionReply> {
    const reply = await this.client.call<{ updates?: unknown; whatChanged?: unknown; result?: unknown }>(
      ctx,
      'object_action',
      {
        objinst: obj,
        objmethod: method,
        args: [...args],
      },
    );
    const updates = reply?.updates;
    const whatChanged = reply?.whatChanged;
    return {
      updates: updates !== null && typeof updates === 'object' ? (updates as Record<string, unknown>) : {},
      whatChanged: Array.isArray(whatChanged)
        ? whatChanged.filter((x): x is string => typeof x === 'string')
        : [],
      result: reply?.result ?? undefined,
    };
  }

  async objectClassAction(
    ctx: RequestContext,
    objName: string,
    method: string,
    objVersion: string,
    args: readonly unknown[],
  ): Promise<unknown> {
    return this.client.call(ctx, 'object_class_action_versions', {
      objname: objName,
      objmethod: method,
      objectVersions: { [objName]: objVersion },
      args: [...args],
    });
  }
}
