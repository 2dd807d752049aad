import type { ResourceTracker } from '../../compute/resource-tracker';
import type { Instance } from '../../objects/instance';
import { Task } from '../../taskflow';

/** Power state of a running instance (Nova power_state.RUNNING). */
export const POWER_STATE_RUNNING = 1;

/**
 * Marks the instance ACTIVE and running (only if it is still `spawning`: a concurrent delete wins).
 * Reversion strategy: none needed — it is the last step, and nothing after it can fail.
 */
export class MarkActiveTask extends Task<{ spawned: true }, { active: true }> {
  constructor(
    private readonly instance: Instance,
    private readonly tracker: ResourceTracker,
  ) {
    super('compute.mark-active', { requires: ['spawned'], provides: ['active'] });
  }

  async execute(): Promise<{ active: true }> {
    const i = this.instance;
    i.vmState = 'active';
    i.taskState = null;
    i.powerState = POWER_STATE_RUNNING;
    await i.save(['spawning']);
    this.tracker.finishClaim(i.uuid); // the row now carries host/node: the audit counts it from the DB
    return { active: true };
  }
}
