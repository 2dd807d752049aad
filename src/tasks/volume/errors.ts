/**
 * Domain errors of the volume API (create flow, VolumeAPI). They carry fields and Cinder's texts, and know
 * nothing about HTTP: `src/api/routes/v3/fault-mappings.ts` maps them to statuses.
 */

/** Base of the volume domain errors. `code` is SCREAMING_SNAKE and never reused. */
export abstract class VolumeDomainError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Cinder's `VolumeNotFound`. */
export class VolumeNotFoundError extends VolumeDomainError {
  readonly code = 'VOLUME_NOT_FOUND';
  constructor(readonly volumeId: string) {
    super(`Volume ${volumeId} could not be found.`);
  }
}

/** Cinder's `SnapshotNotFound`. */
export class SnapshotNotFoundError extends VolumeDomainError {
  readonly code = 'SNAPSHOT_NOT_FOUND';
  constructor(readonly snapshotId: string) {
    super(`Snapshot ${snapshotId} could not be found.`);
  }
}

/** Cinder's `VolumeTypeNotFoundByName` / `VolumeTypeNotFound`. */
export class VolumeTypeNotFoundError extends VolumeDomainError {
  readonly code = 'VOLUME_TYPE_NOT_FOUND';
  constructor(
    readonly ref: string,
    readonly by: 'name' | 'id',
  ) {
    super(
      by === 'name'
        ? `Volume type with name ${ref} could not be found.`
        : `Volume type ${ref} could not be found.`,
    );
  }
}

/** Cinder's `VolumeTypeExists` (409). */
export class VolumeTypeExistsError extends VolumeDomainError {
  readonly code = 'VOLUME_TYPE_EXISTS';
  constructor(readonly typeName: string) {
    super(`Volume Type ${typeName} already exists.`);
  }
}

/** Cinder's `VolumeTypeInUse` (400). */
export class VolumeTypeInUseError extends VolumeDomainError {
  readonly code = 'VOLUME_TYPE_IN_USE';
  constructor(readonly volumeTypeId: string) {
    super(`Volume Type ${volumeTypeId} deletion is not allowed with volumes present with the type.`);
  }
}

/** Cinder's `InvalidAvailabilityZone` (400). */
export class InvalidAvailabilityZoneError extends VolumeDomainError {
  readonly code = 'INVALID_AVAILABILITY_ZONE';
  constructor(readonly availabilityZone: string) {
    super(`Availability zone '${availabilityZone}' is invalid.`);
  }
}

/** Cinder's `InvalidInput` raised below the API layer: "Invalid input received: <reason>" (400). */
export class VolumeInvalidInputError extends VolumeDomainError {
  readonly code = 'VOLUME_INVALID_INPUT';
  constructor(readonly reason: string) {
    super(`Invalid input received: ${reason}`);
  }
}

/** Cinder's `InvalidVolume`: the volume is in a state that does not allow the operation (400). */
export class InvalidVolumeError extends VolumeDomainError {
  readonly code = 'INVALID_VOLUME';
  constructor(readonly reason: string) {
    super(`Invalid volume: ${reason}`);
  }
}

/** Cinder's `InvalidSnapshot` (400). */
export class InvalidSnapshotError extends VolumeDomainError {
  readonly code = 'INVALID_SNAPSHOT';
  constructor(readonly reason: string) {
    super(`Invalid snapshot: ${reason}`);
  }
}

/** Cinder's `VolumeLimitExceeded` (413): the `volumes` (or `volumes_<type>`) quota is used up. */
export class VolumeLimitExceededError extends VolumeDomainError {
  readonly code = 'VOLUME_LIMIT_EXCEEDED';
  constructor(
    readonly allowed: number,
    readonly resource: string,
    options?: ErrorOptions,
  ) {
    super(`Maximum number of volumes allowed (${allowed}) exceeded for quota '${resource}'.`, options);
  }
}

/** Cinder's `VolumeSizeExceedsAvailableQuota` (413): the `gigabytes` (or per-type) quota is too small. */
export class VolumeSizeExceedsAvailableQuotaError extends VolumeDomainError {
  readonly code = 'VOLUME_SIZE_EXCEEDS_AVAILABLE_QUOTA';
  constructor(
    readonly resource: string,
    readonly requested: number,
    readonly quota: number,
    readonly consumed: number,
    options?: ErrorOptions,
  ) {
    super(
      `Requested volume or snapshot exceeds allowed ${resource} quota. Requested ${requested}G, quota is ${quota}G and ${consumed}G has been consumed.`,
      options,
    );
  }
}

/** Cinder's `VolumeSizeExceedsLimit` (413): larger than `per_volume_gigabytes`. */
export class VolumeSizeExceedsLimitError extends VolumeDomainError {
  readonly code = 'VOLUME_SIZE_EXCEEDS_LIMIT';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`Requested volume size ${size}G is larger than maximum allowed limit ${limit}G.`);
  }
}

/** Cinder's `SnapshotLimitExceeded` (413). */
export class SnapshotLimitExceededError extends VolumeDomainError {
  readonly code = 'SNAPSHOT_LIMIT_EXCEEDED';
  constructor(readonly allowed: number) {
    super(`Maximum number of snapshots allowed (${allowed}) exceeded`);
  }
}

/** Cinder's `MetadataLimitExceeded`-style refusal of metadata that breaks the limits (400). */
export class InvalidVolumeMetadataError extends VolumeDomainError {
  readonly code = 'INVALID_VOLUME_METADATA';
  constructor(readonly reason: string) {
    super(`Invalid metadata: ${reason}`);
  }
}

/** Cinder's `VolumeMetadataNotFound` (404). */
export class VolumeMetadataNotFoundError extends VolumeDomainError {
  readonly code = 'VOLUME_METADATA_NOT_FOUND';
  constructor(
    readonly volumeId: string,
    readonly key: string,
  ) {
    super(`Volume ${volumeId} has no metadata with key ${key}.`);
  }
}

/** Cinder's `ImageNotFound` (404): this deployment has no image service, so no image can be found. */
export class ImageNotFoundError extends VolumeDomainError {
  readonly code = 'IMAGE_NOT_FOUND';
  constructor(readonly imageId: string) {
    super(`Image ${imageId} could not be found.`);
  }
}

/** Cinder's `BackupNotFound` (404): this deployment has no backup service. */
export class BackupNotFoundError extends VolumeDomainError {
  readonly code = 'BACKUP_NOT_FOUND';
  constructor(readonly backupId: string) {
    super(`Backup ${backupId} could not be found.`);
  }
}
