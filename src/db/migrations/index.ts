import { InitialSchema1795322840388 } from './1795322840388-initial-schema';
import { VolumeUseQuota1795330000000 } from './1795330000000-volume-use-quota';
import { SnapshotMetadata1795340000000 } from './1795340000000-snapshot-metadata';
import { VolumeReadonly1795350000000 } from './1795350000000-volume-readonly';
import { QuotaResourceBinaryCollation1795360000000 } from './1795360000000-quota-resource-binary-collation';
import { VolumeAttachment1795370000000 } from './1795370000000-volume-attachment';
import { VolumeAttachmentConnectionInfo1795380000000 } from './1795380000000-volume-attachment-connection-info';

/** Every migration in order, listed explicitly so ts-jest and the compiled dist run the same set. */
export const MIGRATIONS = [
  InitialSchema1795322840388,
  VolumeUseQuota1795330000000,
  SnapshotMetadata1795340000000,
  VolumeReadonly1795350000000,
  QuotaResourceBinaryCollation1795360000000,
  VolumeAttachment1795370000000,
  VolumeAttachmentConnectionInfo1795380000000,
] as const;
