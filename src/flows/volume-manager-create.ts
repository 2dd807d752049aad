import { LinearFlow } from '../taskflow';
import {
  CreateVolumeFromSpecTask,
  CreateVolumeOnFinishTask,
  ExtractVolumeRefTask,
  OnFailureRescheduleTask,
  type ManagerTaskLogger,
  type ManagerVolumeRows,
  type VolumeRescheduler,
} from '../tasks/volume-manager';
import type { VolumeDriver } from '../volume/drivers/driver';

/** The runtime name of the flow. */
export const VOLUME_MANAGER_CREATE_FLOW = 'volume:create-manager';

export interface VolumeManagerCreateDeps {
  readonly rows: ManagerVolumeRows;
  readonly driver: VolumeDriver;
  readonly reschedule: VolumeRescheduler;
  readonly log: ManagerTaskLogger;
}

/**
 * volume:create-manager, on the volume service the scheduler chose (Cinder's
 * `cinder.volume.flows.manager.create_volume`): 1 ExtractVolumeRef loads the row (must be `creating`),
 * 2 OnFailureReschedule (its revert sends the volume back to the scheduler, or sets `error`),
 * 3 CreateVolumeFromSpec creates it through the driver (raw, from its snapshot, or as a clone), 4 CreateVolumeOnFinish sets `available` and the host.
 * A failure reverts in reverse order: the driver's volume is deleted, then the reschedule happens.
 * Store: {@link VolumeManagerCreateStore}.
 */
export function volumeManagerCreateFlow(deps: VolumeManagerCreateDeps) {
  return new LinearFlow(VOLUME_MANAGER_CREATE_FLOW).add(
    new ExtractVolumeRefTask(deps.rows),
    new OnFailureRescheduleTask(deps.rows, deps.reschedule, deps.log),
    new CreateVolumeFromSpecTask(deps.driver, deps.rows),
    new CreateVolumeOnFinishTask(deps.rows),
  );
}
