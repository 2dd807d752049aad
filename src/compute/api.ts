/**
 * The small client API of compute (what an API service or a CLI uses): create an instance record
 * and hand the build to the conductor; read instances and the hypervisor (compute node) listing.
 * It runs where the database is (an `ObjectEnvironment.direct`).
 */
import { v7 as uuidv7 } from 'uuid';
import { ComputeNode } from '../objects/compute-node';
import type { ObjectEnvironment } from '../objects/environment';
import { ObjectActionError } from '../objects/errors';
import { Instance } from '../objects/instance';
import type { RpcClient } from '../rpc/client';
import type { RequestContext } from '../rpc/context';

export interface CreateInstanceRequest {
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly rootGb: number;
  readonly displayName?: string;
}

export interface HypervisorSummary {
  readonly id: number;
  readonly host: string;
  readonly hypervisorHostname: string;
  readonly vcpus: number;
  readonly vcpusUsed: number;
  readonly memoryMb: number;
  readonly memoryMbUsed: number;
  readonly localGb: number;
  readonly localGbUsed: number;
  readonly freeRamMb: number;
  readonly freeDiskGb: number;
  readonly runningVms: number;
}

export class ComputeApi {
  constructor(
    private readonly env: ObjectEnvironment,
    /** Client of the conductor topic. */
    private readonly conductor: RpcClient,
  ) {}

  /** Insert the instance (BUILDING / scheduling) and cast the build to the conductor. Bad sizes are refused first. */
  async createInstance(ctx: RequestContext, request: CreateInstanceRequest): Promise<Instance> {
    for (const k of ['vcpus', 'memoryMb', 'rootGb'] as const) {
      const v = request[k];
      if (!Number.isSafeInteger(v) || v < (k === 'rootGb' ? 0 : 1)) {
        throw new ObjectActionError(
          'createInstance',
          `${k} must be a ${k === 'rootGb' ? 'non-negative' : 'positive'} integer`,
        );
      }
    }
    if (ctx.projectId === null || ctx.userId === null)
      throw new ObjectActionError('createInstance', 'the context needs a user and a project');
    const instance = new Instance(this.env, ctx, {
      uuid: uuidv7(),
      projectId: ctx.projectId,
      userId: ctx.userId,
      vcpus: request.vcpus,
      memoryMb: request.memoryMb,
      rootGb: request.rootGb,
      displayName: request.displayName ?? null,
      vmState: 'building',
      taskState: 'scheduling',
    });
    await instance.create();
    await this.conductor.cast(ctx, 'build_instances', { instanceUuid: instance.uuid });
    return instance;
  }

  getInstance(ctx: RequestContext, uuid: string): Promise<Instance> {
    return Instance.getByUuid(this.env, ctx, uuid);
  }

  /** The live instances of `projectId`, or of every project when it is null (admin). */
  listInstances(ctx: RequestContext, projectId: string | null): Promise<Instance[]> {
    return Instance.getAll(this.env, ctx, projectId);
  }

  /** Each compute node with its totals and usage (os-hypervisors). */
  async listHypervisors(ctx: RequestContext): Promise<HypervisorSummary[]> {
    return (await ComputeNode.getAll(this.env, ctx)).map((n) => ({
      id: n.id,
      host: n.host,
      hypervisorHostname: n.hypervisorHostname,
      vcpus: n.vcpus,
      vcpusUsed: n.vcpusUsed,
      memoryMb: n.memoryMb,
      memoryMbUsed: n.memoryMbUsed,
      localGb: n.localGb,
      localGbUsed: n.localGbUsed,
      freeRamMb: n.freeRamMb,
      freeDiskGb: n.freeDiskGb,
      runningVms: n.runningVms,
    }));
  }
}
