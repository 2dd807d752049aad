/**
 * What the create-volume API flow's tasks share: the values kept in flow storage (JSON-safe, snake_case as
 * Cinder names them, since storage keys are persisted) and the ports the tasks are given through their
 * constructors (implemented in `src/volume/`).
 */
import type { QuotaEngine } from '../../quota';

/**
 * The request context as the flow stores it (Cinder's `context`). QuotaCommit sets `quota_committed`;
 * the reverts of QuotaReserve and EntryCreate read it.
 */
export interface VolumeFlowContext {
  project_id: string;
  user_id: string;
  is_admin: boolean;
  request_id: string;
  roles: string[];
  quota_committed: boolean;
}

/** A volume type as the flow sees it. */
export interface VolumeTypeRef {
  readonly id: string;
  readonly name: string;
  readonly qos_specs_id: string | null;
  readonly extra_specs: Readonly<Record<string, string | null>>;
}

/** A snapshot to create from (looked up by the API before the flow runs). */
export interface SnapshotRef {
  readonly id: string;
  readonly volume_id: string;
  readonly volume_size: number;
  readonly status: string;
  readonly volume_type_id: string | null;
  /** The availability zone of the snapshot's volume. */
  readonly availability_zone: string | null;
  /** The host (`host@backend#pool`) of the snapshot's volume: the new volume must be made there. */
  readonly volume_host?: string | null;
}

/** A source volume to clone (looked up by the API before the flow runs). */
export interface SourceVolumeRef {
  readonly id: string;
  readonly size: number;
  readonly status: string;
  readonly volume_type_id: string | null;
  readonly availability_zone: string | null;
  /** Its host (`host@backend#pool`): a clone must be made on the same backend. */
  readonly host?: string | null;
}

/** The row EntryCreate inserts, as Cinder's `volume_properties`. */
export interface VolumeProperties {
  readonly id: string;
  readonly project_id: string;
  readonly user_id: string;
  readonly size: number;
  readonly status: string;
  readonly attach_status: string;
  readonly display_name: string | null;
  readonly display_description: string | null;
  readonly availability_zone: string;
  readonly volume_type_id: string;
  readonly snapshot_id: string | null;
  readonly source_volid: string | null;
  readonly encryption_key_id: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** `2026-11-22T03:07:14.563989`, UTC, microseconds. */
  readonly created_at: string;
}

/** The created volume, with the field names of the API's volume view (JSON-safe). */
export interface VolumeRecord {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly size: number;
  readonly status: string;
  readonly displayName: string | null;
  readonly displayDescription: string | null;
  readonly availabilityZone: string | null;
  readonly volumeTypeId: string | null;
  readonly snapshotId: string | null;
  readonly sourceVolid: string | null;
  readonly host: string | null;
  readonly bootable: boolean;
  readonly encryptionKeyId: string | null;
  readonly multiattach: boolean;
  readonly migrationStatus: string | null;
  readonly createdAt: string;
  readonly updatedAt: string | null;
  /** Cinder's `use_quota` (shown as `consumes_quota` from 3.65). @default true */
  readonly useQuota?: boolean;
  /** The uuid of the volume service that holds the volume (3.48 `service_uuid`); null until placed. */
  readonly serviceUuid?: string | null;
}

/** Looks up the default volume type (the one a request without `volume_type` gets). */
export interface VolumeTypeLookup {
  /** @throws VolumeTypeNotFoundError when the configured default type does not exist. */
  defaultType(): Promise<VolumeTypeRef>;
}

/** Names a volume type by id (for its per-type quota resources); null when it does not exist. */
export interface VolumeTypeNamer {
  typeName(volumeTypeId: string): Promise<string | null>;
}

/** The availability zones a volume may be created in. */
export interface AvailabilityZoneLookup {
  /** Zone names known now (the volume services' zones and the configured default). */
  zoneNames(): Promise<ReadonlySet<string>>;
  /** The zone of a volume created without one and with nothing to inherit it from. */
  readonly defaultZone: string;
}

/** The volume rows the create flow writes. */
export interface VolumeEntryStore {
  /** Inserts the volume row and its metadata rows, in one transaction. */
  insertVolume(props: VolumeProperties): Promise<void>;
  /** Removes the row and its metadata (the revert of a create that never committed its quota). */
  destroyVolume(volumeId: string): Promise<void>;
  /** Sets the status of a (not deleted) volume. */
  setVolumeStatus(volumeId: string, status: string): Promise<void>;
  /**
   * Clears the volume's `use_quota` (Cinder's marker that it counts in the quota usage), deleted or not.
   * @returns whether it was set: only then does the caller give the volume's quota back, so the quota of
   * a volume goes back exactly once whoever (a failed create's revert, a delete) gets there first.
   */
  releaseVolumeQuota(volumeId: string): Promise<boolean>;
  /** Sets `use_quota` again (the give-back that followed {@link releaseVolumeQuota} failed). */
  restoreVolumeQuota(volumeId: string): Promise<void>;
}

/** The quota operations the volume tasks use (the quota engine implements them). */
export type VolumeQuotas = Pick<QuotaEngine, 'reserve' | 'commit' | 'rollback' | 'checkPerVolumeSize'>;

/** Metadata limits (Cinder's `_check_metadata_properties`). */
export const METADATA_KEY_MAX = 255;
export const METADATA_VALUE_MAX = 255;
