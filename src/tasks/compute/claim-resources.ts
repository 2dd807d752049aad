import type { ClaimLimits, ResourceTracker } from '../../compute/resource-tracker';
import type { Instance } from '../../objects/instance';
import type { RequestContext } from '../../rpc/context';
import { Task, type RevertArgs } from '../../taskflow';

export interface ClaimResourcesIn {
  limits: ClaimLimits;
}
export interface ClaimResourcesOut {
  claimedNode: string;
}

/**
 * Claims the instance's vCPU/RAM/disk on this node and records host/node on the instance
 * (task state `spawning`).
 * Reversion strategy: give the claim back to the resource tracker, if one was made.
 */
export class ClaimResourcesTask extends Task<ClaimResourcesIn, ClaimResourcesOut> {
  constructor(
    private readonly ctx: RequestContext,
    private readonly instance: Instance,
    private readonly tracker: ResourceTracker,
  ) {
    super('compute.claim-resources', { requires: ['limits'], provides: ['claimedNode'] });
  }

  async execute({ limits }: ClaimResourcesIn): Promise<ClaimResourcesOut> {
    const i = this.instance;
    await this.tracker.instanceClaim(this.ctx, { uuid: i.uuid, vcpus: i.vcpus, memoryMb: i.memoryMb, rootGb: i.rootGb }, limits);
    i.host = this.tracker.host;
    i.node = this.tracker.nodename;
    i.vmState = 'building';
    i.taskState = 'spawning';
    await i.save();
    return { claimedNode: this.tracker.nodename };
  }

  override async revert({ outcome }: RevertArgs<ClaimResourcesIn, ClaimResourcesOut>): Promise<void> {
    if (outcome.status !== 'success') return; // the claim was refused: nothing to give back
    await this.tracker.abortInstanceClaim(this.ctx, this.instance.uuid);
  }
}
