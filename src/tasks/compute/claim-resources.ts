import type { ClaimLimits, ResourceTracker } from '../../compute/resource-tracker';
import { BuildNotPendingError } from '../../compute/errors';
import { isLostInstanceRace } from '../../objects/errors';
import type { Instance } from '../../objects/instance';
import type { RequestContext } from '../../rpc/context';
import { Task, type RevertArgs } from '../../taskflow';

/** The states of an instance the conductor has sent to a compute and whose build has not started. */
export const BUILD_PENDING = Object.freeze({ vmState: 'building', taskState: 'scheduling' });

export interface ClaimResourcesIn {
  limits: ClaimLimits;
}
export interface ClaimResourcesOut {
  claimedNode: string;
}

/**
 * Claims the instance's vCPU/RAM/disk on this node and takes the instance for this build (task state
 * `spawning`), the latter as a compare-and-set under the claim's lock: only an instance still `building`
 * / `scheduling` that the conductor sent to this host and node is taken, so of two copies of the same
 * build cast exactly one claims and spawns; the other fails with BuildNotPendingError, which the flow's
 * reschedule step leaves alone.
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
    const { host, nodename } = this.tracker;
    await this.tracker.instanceClaim(
      this.ctx,
      { uuid: i.uuid, vcpus: i.vcpus, memoryMb: i.memoryMb, rootGb: i.rootGb },
      limits,
      async () => {
        i.host = host;
        i.node = nodename;
        i.vmState = 'building';
        i.taskState = 'spawning';
        try {
          await i.save([BUILD_PENDING.taskState], { host, node: nodename, vmState: BUILD_PENDING.vmState });
        } catch (err) {
          if (isLostInstanceRace(err)) {
            throw new BuildNotPendingError(i.uuid, host, err.message);
          }
          throw err;
        }
      },
    );
    return { claimedNode: nodename };
  }

  override async revert({ outcome }: RevertArgs<ClaimResourcesIn, ClaimResourcesOut>): Promise<void> {
    if (outcome.status !== 'success') return; // the claim was refused: nothing to give back
    await this.tracker.abortInstanceClaim(this.ctx, this.instance.uuid);
  }
}
