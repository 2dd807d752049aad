/**
 * The volume driver contract (Cinder's `VolumeDriver`, trimmed to what the manager uses): the volume
 * manager owns the logic and the database; a driver only does the device work on one backend and
 * reports what the backend can hold.
 */

/** What a driver is told about a volume (never the whole row). */
export interface DriverVolume {
  readonly id: string;
  /** Size in GiB. */
  readonly size: number;
}

/** What a driver is told about a snapshot: its id and the volume it was (or is being) taken of. */
export interface DriverSnapshot {
  readonly id: string;
  readonly volumeId: string;
  /** Size in GiB of the volume when the snapshot was taken. */
  readonly volumeSize: number;
}

/** A backend's capability report (Cinder's `get_volume_stats`), JSON-safe: it travels to the scheduler. */
export interface VolumeStats {
  readonly volume_backend_name: string;
  readonly vendor_name: string;
  readonly driver_version: string;
  readonly storage_protocol: string;
  /** GiB the backend can hold in all. */
  readonly total_capacity_gb: number;
  /** GiB still free for new volumes. */
  readonly free_capacity_gb: number;
  /** GiB given to the volumes this backend holds. */
  readonly allocated_capacity_gb: number;
  /** Percent of the total kept back from scheduling. */
  readonly reserved_percentage: number;
  readonly thin_provisioning_support: boolean;
}

/** 1 GiB in bytes. */
export const GIB = 1024 ** 3;

export interface VolumeDriver {
  /** The backend name volume types select with the extra spec `volume_backend_name`. */
  readonly backendName: string;
  /** Prepare the backend (called from the manager's initHost). */
  doSetup(): Promise<void>;
  /** The backend's current capabilities and capacity. */
  getVolumeStats(): Promise<VolumeStats>;
  /** Create the volume; creating one that already exists with that size is a success (idempotent). */
  createVolume(volume: DriverVolume): Promise<void>;
  /** Delete the volume; one that does not exist counts as deleted. */
  deleteVolume(volume: DriverVolume): Promise<void>;
  /** Grow the volume to `newSizeGb`. */
  extendVolume(volume: DriverVolume, newSizeGb: number): Promise<void>;
  /** Whether the backend holds the volume. */
  volumeExists(volume: DriverVolume): Promise<boolean>;
  /** Take a point-in-time copy of `snapshot.volumeId`; taking one that already exists again is a success. */
  createSnapshot(snapshot: DriverSnapshot): Promise<void>;
  /** Delete the snapshot; one that does not exist counts as deleted. */
  deleteSnapshot(snapshot: DriverSnapshot): Promise<void>;
  /** Create `volume` with the snapshot's content, grown to `volume.size` (never smaller than the snapshot). */
  createVolumeFromSnapshot(volume: DriverVolume, snapshot: DriverSnapshot): Promise<void>;
  /** Create `volume` as a copy of `source` (a clone), grown to `volume.size`. */
  createClonedVolume(volume: DriverVolume, source: DriverVolume): Promise<void>;
}

/** The operations a driver reports a failure of. */
export type DriverOperation =
  | 'create'
  | 'delete'
  | 'extend'
  | 'setup'
  | 'stats'
  | 'create_snapshot'
  | 'delete_snapshot'
  | 'create_from_snapshot'
  | 'clone';

/** The device work failed (Cinder's `VolumeBackendAPIException`). */
export class VolumeBackendError extends Error {
  readonly code = 'VOLUME_BACKEND_ERROR';
  constructor(
    readonly backendName: string,
    readonly operation: DriverOperation,
    readonly volumeId: string | null,
    message: string,
    options?: ErrorOptions,
  ) {
    super(
      `Bad or unexpected response from the storage volume backend ${backendName} (${operation}${volumeId === null ? '' : ` ${volumeId}`}): ${message}`,
      options,
    );
    this.name = 'VolumeBackendError';
  }
}
