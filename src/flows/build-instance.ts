import type { FakeVirtDriver } from '../compute/fake-driver';
import type { ClaimLimits, ResourceTracker } from '../compute/resource-tracker';
import type { Instance } from '../objects/instance';
import type { RequestContext } from '../rpc/context';
import type { Logger } from '../rpc/logger';
import { LinearFlow } from '../taskflow';
import { ClaimResourcesTask } from '../tasks/compute/claim-resources';
import { MarkActiveTask } from '../tasks/compute/mark-active';
import {
  RescheduleOnFailureTask,
  type BuildRetry,
  type Rescheduler,
} from '../tasks/compute/reschedule-on-failure';
import { SpawnInstanceTask } from '../tasks/compute/spawn-instance';

export interface BuildInstanceDeps {
  readonly ctx: RequestContext;
  readonly instance: Instance;
  readonly tracker: ResourceTracker;
  readonly driver: FakeVirtDriver;
  readonly reschedule: Rescheduler;
  readonly logger: Logger;
}

/** What the flow's store holds (JSON only). */
export interface BuildInstanceStore {
  readonly limits: ClaimLimits;
  readonly retry: BuildRetry;
}

/**
 * compute:build-instance, on the compute host the scheduler chose:
 * 1 (on failure: clear host, ask the conductor to reschedule), 2 claim resources, 3 spawn through the
 * driver, 4 mark the instance ACTIVE. A failure reverts the completed steps in reverse order: destroy
 * the spawn, release the claim, then reschedule. A copy of the build cast that finds the instance taken
 * (the claim's compare-and-set, BuildNotPendingError) reverts nothing and reschedules nothing.
 */
export function buildInstanceFlow(deps: BuildInstanceDeps) {
  return new LinearFlow('compute:build-instance').add(
    new RescheduleOnFailureTask(deps.ctx, deps.instance, deps.reschedule, deps.logger),
    new ClaimResourcesTask(deps.ctx, deps.instance, deps.tracker),
    new SpawnInstanceTask(deps.instance, deps.driver),
    new MarkActiveTask(deps.instance, deps.tracker),
  );
}
