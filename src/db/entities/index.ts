import { AtomDetailEntity } from './atom-detail.entity';
import { ComputeNodeEntity } from './compute-node.entity';
import { FlowDetailEntity } from './flow-detail.entity';
import { InstanceEntity } from './instance.entity';
import { LogbookEntity } from './logbook.entity';
import { QuotaClassEntity } from './quota-class.entity';
import { QuotaUsageEntity } from './quota-usage.entity';
import { QuotaEntity } from './quota.entity';
import { ReservationEntity } from './reservation.entity';
import { ServiceEntity } from './service.entity';
import { SnapshotEntity } from './snapshot.entity';
import { VolumeAttachmentEntity } from './volume-attachment.entity';
import { VolumeMetadataEntity } from './volume-metadata.entity';
import { VolumeTypeExtraSpecEntity } from './volume-type-extra-spec.entity';
import { VolumeTypeEntity } from './volume-type.entity';
import { VolumeEntity } from './volume.entity';

export {
  AtomDetailEntity,
  ComputeNodeEntity,
  FlowDetailEntity,
  InstanceEntity,
  LogbookEntity,
  QuotaClassEntity,
  QuotaEntity,
  QuotaUsageEntity,
  ReservationEntity,
  ServiceEntity,
  SnapshotEntity,
  VolumeAttachmentEntity,
  VolumeEntity,
  VolumeMetadataEntity,
  VolumeTypeEntity,
  VolumeTypeExtraSpecEntity,
};

/** Every entity, listed explicitly so ts-jest and the compiled dist load the same classes. */
export const ENTITIES = [
  VolumeEntity,
  VolumeMetadataEntity,
  VolumeAttachmentEntity,
  VolumeTypeEntity,
  VolumeTypeExtraSpecEntity,
  SnapshotEntity,
  QuotaEntity,
  QuotaClassEntity,
  QuotaUsageEntity,
  ReservationEntity,
  ServiceEntity,
  ComputeNodeEntity,
  InstanceEntity,
  LogbookEntity,
  FlowDetailEntity,
  AtomDetailEntity,
] as const;
