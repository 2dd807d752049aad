/**
 * Domain errors of the VolumeAPI's type, snapshot-metadata and volume-action operations (the create
 * flow's errors live in src/tasks/volume/errors.ts). Cinder's texts; no HTTP here:
 * src/api/routes/v3/fault-mappings.ts maps them to statuses.
 */
import { VolumeDomainError } from '../tasks/volume/errors';

/** Cinder's `VolumeTypeExtraSpecsNotFound` (404). */
export class VolumeTypeExtraSpecsNotFoundError extends VolumeDomainError {
  readonly code = 'VOLUME_TYPE_EXTRA_SPECS_NOT_FOUND';
  constructor(
    readonly volumeTypeId: string,
    readonly key: string,
  ) {
    super(`Volume Type ${volumeTypeId} has no extra specs with key ${key}.`);
  }
}

/**
 * The extra specs of a type some live volume uses cannot change (Cinder's `_allow_update`, a plain 400
 * "Volume Type is currently in use."): the volumes were placed by the old specs.
 */
export class VolumeTypeSpecsInUseError extends VolumeDomainError {
  readonly code = 'VOLUME_TYPE_SPECS_IN_USE';
  constructor(readonly volumeTypeId: string) {
    super('Volume Type is currently in use.');
  }
}

/** A refused extra-spec combination or type update, answered as a plain 400 with Cinder's text. */
export class VolumeTypeRequestRefusedError extends VolumeDomainError {
  readonly code = 'VOLUME_TYPE_REQUEST_REFUSED';
}

/** Cinder's `VolumeTypeDefaultDeletionError` (400): the configured default type cannot go. */
export class VolumeTypeDefaultDeletionError extends VolumeDomainError {
  readonly code = 'VOLUME_TYPE_DEFAULT_DELETION';
  constructor(readonly volumeTypeId: string) {
    super(`The volume type ${volumeTypeId} is a default volume type and cannot be deleted.`);
  }
}

/** Cinder's `SnapshotMetadataNotFound` (404). */
export class SnapshotMetadataNotFoundError extends VolumeDomainError {
  readonly code = 'SNAPSHOT_METADATA_NOT_FOUND';
  constructor(
    readonly snapshotId: string,
    readonly key: string,
  ) {
    super(`Snapshot ${snapshotId} has no metadata with key ${key}.`);
  }
}
