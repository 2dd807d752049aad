/**
 * Cinder's `VolumeStatus.ALL`, in its order: the order shows in refusal messages, so keep it. The API
 * validates `os-reset_status` against it, and a forced delete may start from any of them.
 */
export const VOLUME_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'error_managing',
  'managing',
  'attaching',
  'in-use',
  'detaching',
  'maintenance',
  'restoring-backup',
  'error_restoring',
  'reserved',
  'awaiting-transfer',
  'backing-up',
  'error_backing-up',
  'error_extending',
  'downloading',
  'uploading',
  'retyping',
  'extending',
] as const;

export type VolumeStatus = (typeof VOLUME_STATUSES)[number];
