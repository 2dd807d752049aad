/**
 * Rows for faults.ts's FAULT_TABLE: the volume domain errors (src/tasks/volume/errors.ts) and the quota
 * engine's, with the status Cinder answers. Quota refusals of a create carry Cinder's class-name prefix
 * (`VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes'.`).
 */
import type { FaultMapping } from '../../faults';
import {
  BackupNotFoundError,
  ImageNotFoundError,
  InvalidAvailabilityZoneError,
  InvalidSnapshotError,
  InvalidVolumeError,
  InvalidVolumeMetadataError,
  SnapshotLimitExceededError,
  SnapshotNotFoundError,
  VolumeInvalidInputError,
  VolumeLimitExceededError,
  VolumeMetadataNotFoundError,
  VolumeNotFoundError,
  VolumeSizeExceedsAvailableQuotaError,
  VolumeSizeExceedsLimitError,
  VolumeTypeExistsError,
  VolumeTypeInUseError,
  VolumeTypeNotFoundError,
} from '../../../tasks/volume/errors';
import {
  SnapshotMetadataNotFoundError,
  VolumeTypeDefaultDeletionError,
  VolumeTypeExtraSpecsNotFoundError,
  VolumeTypeRequestRefusedError,
  VolumeTypeSpecsInUseError,
} from '../../../volume/errors';
import {
  InvalidQuotaValueError,
  QuotaLimitBelowUsageError,
  UnknownQuotaResourceError,
} from '../../../quota/errors';
import { VolumeConnectionFailedError } from '../../../volume/attach';
import { AttachmentNotFoundError, AttachmentRequestFailedError } from '../../../volume/attachments-v3';

const prefixed =
  (name: string) =>
  (err: Error): string =>
    `${name}: ${err.message}`;

export const volumeFaultMappings: readonly FaultMapping[] = [
  { error: VolumeNotFoundError, status: 404 },
  { error: SnapshotNotFoundError, status: 404 },
  { error: VolumeTypeNotFoundError, status: 404 },
  { error: VolumeMetadataNotFoundError, status: 404 },
  { error: ImageNotFoundError, status: 404 },
  { error: BackupNotFoundError, status: 404 },
  { error: VolumeTypeExtraSpecsNotFoundError, status: 404 },
  { error: SnapshotMetadataNotFoundError, status: 404 },
  { error: VolumeTypeSpecsInUseError, status: 400 },
  { error: VolumeTypeRequestRefusedError, status: 400 },
  { error: VolumeTypeDefaultDeletionError, status: 400 },
  { error: VolumeTypeExistsError, status: 409 },
  // types_manage `_delete` replaces VolumeTypeInUse's text with its own.
  { error: VolumeTypeInUseError, status: 400, message: () => 'Target volume type is still in use.' },
  { error: InvalidAvailabilityZoneError, status: 400 },
  { error: VolumeInvalidInputError, status: 400 },
  { error: InvalidVolumeError, status: 400 },
  { error: InvalidSnapshotError, status: 400 },
  { error: InvalidVolumeMetadataError, status: 400 },
  { error: VolumeLimitExceededError, status: 413, message: prefixed('VolumeLimitExceeded') },
  {
    error: VolumeSizeExceedsAvailableQuotaError,
    status: 413,
    message: prefixed('VolumeSizeExceedsAvailableQuota'),
  },
  { error: VolumeSizeExceedsLimitError, status: 413, message: prefixed('VolumeSizeExceedsLimit') },
  { error: SnapshotLimitExceededError, status: 413, message: prefixed('SnapshotLimitExceeded') },
  { error: QuotaLimitBelowUsageError, status: 400 },
  { error: InvalidQuotaValueError, status: 400 },
  { error: UnknownQuotaResourceError, status: 400 },
  { error: VolumeConnectionFailedError, status: 500 },
  { error: AttachmentNotFoundError, status: 404 },
  { error: AttachmentRequestFailedError, status: 500 },
];
