/**
 * Type test (checked by `tsc --noEmit`): the DB entities can be handed to the view builders as they are.
 */
import type { ServiceEntity, SnapshotEntity, VolumeEntity } from '../../src/db/entities';
import type { ServiceViewSource, SnapshotViewSource, VolumeViewSource } from '../../src/api/views';

export function volumeEntityIsAViewSource(e: VolumeEntity): VolumeViewSource {
  return e;
}

export function snapshotEntityIsAViewSource(e: SnapshotEntity): SnapshotViewSource {
  return e;
}

export function serviceEntityIsAViewSource(e: ServiceEntity): ServiceViewSource {
  return e;
}

// @ts-expect-error a view source needs the volume's project (for the tenant attribute and policy)
export const missingProject: VolumeViewSource = { id: 'x' };
