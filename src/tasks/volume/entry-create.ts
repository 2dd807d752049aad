import { v4 as uuidv4 } from 'uuid';
import { Task, type RevertArgs } from '../../taskflow';
import type { VolumeEntryStore, VolumeFlowContext, VolumeProperties, VolumeRecord } from './types';

export interface EntryCreateIn {
  context: VolumeFlowContext;
  availability_zone: string;
  description: string | null;
  metadata: Record<string, string> | null;
  name: string | null;
  reservations: string[];
  size: number;
  snapshot_id: string | null;
  source_volid: string | null;
  volume_type_id: string;
  encryption_key_id: string | null;
}

export interface EntryCreateOut {
  volume_id: string;
  volume_properties: VolumeProperties;
  volume: VolumeRecord;
}

/** `2026-11-22T03:07:14.563989`: now in UTC with microseconds, as Cinder shows it in the 202. */
export function nowWithMicros(): string {
  const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  const date = new Date(Number(micros / 1000n));
  return `${date.toISOString().slice(0, 19)}.${String(micros % 1000000n).padStart(6, '0')}`;
}

/**
 * Inserts the volume row (status `creating`) and its metadata in one transaction.
 *
 * Reversion strategy: if the row was inserted and the quota is not yet committed
 * (`context.quota_committed`), destroy it (row and metadata), so a failure before QuotaCommit leaves no
 * volume behind. After the commit the row stays and OnFailure marks it `error`.
 */
export class EntryCreateTask extends Task<EntryCreateIn, EntryCreateOut> {
  constructor(private readonly store: VolumeEntryStore) {
    super('volume:create.entry-create', {
      requires: [
        'context',
        'availability_zone',
        'description',
        'metadata',
        'name',
        'reservations',
        'size',
        'snapshot_id',
        'source_volid',
        'volume_type_id',
        'encryption_key_id',
      ],
      provides: ['volume_id', 'volume_properties', 'volume'],
    });
  }

  async execute(a: EntryCreateIn): Promise<EntryCreateOut> {
    const props: VolumeProperties = {
      id: uuidv4(),
      project_id: a.context.project_id,
      user_id: a.context.user_id,
      size: a.size,
      status: 'creating',
      attach_status: 'detached',
      display_name: a.name,
      display_description: a.description,
      availability_zone: a.availability_zone,
      volume_type_id: a.volume_type_id,
      snapshot_id: a.snapshot_id,
      source_volid: a.source_volid,
      encryption_key_id: a.encryption_key_id,
      metadata: { ...(a.metadata ?? {}) },
      created_at: nowWithMicros(),
    };
    await this.store.insertVolume(props);
    return { volume_id: props.id, volume_properties: props, volume: recordOf(props) };
  }

  override async revert({ args, outcome }: RevertArgs<EntryCreateIn, EntryCreateOut>): Promise<void> {
    if (outcome.status !== 'success') return; // no row was written
    if (args.context.quota_committed) return; // the row stays, in error (OnFailure)
    await this.store.destroyVolume(outcome.value.volume_id);
  }
}

function recordOf(p: VolumeProperties): VolumeRecord {
  return {
    id: p.id,
    projectId: p.project_id,
    userId: p.user_id,
    size: p.size,
    status: p.status,
    displayName: p.display_name,
    displayDescription: p.display_description,
    availabilityZone: p.availability_zone,
    volumeTypeId: p.volume_type_id,
    snapshotId: p.snapshot_id,
    sourceVolid: p.source_volid,
    host: null,
    bootable: false,
    encryptionKeyId: p.encryption_key_id,
    multiattach: false,
    migrationStatus: null,
    createdAt: p.created_at,
    updatedAt: null,
  };
}
