import {
  VolumeBackendError,
  type DriverSnapshot,
  type DriverVolume,
  type VolumeDriver,
  type VolumeStats,
} from './driver';

export interface FakeDriverOptions {
  /** @default 'fake' */
  readonly backendName?: string;
  /** @default 1000 */
  readonly capacityGb?: number;
  /** Milliseconds each create takes. @default 0 */
  readonly createDelayMs?: number;
}

type Operation =
  'create' | 'delete' | 'extend' | 'create_snapshot' | 'delete_snapshot' | 'create_from_snapshot' | 'clone';

/**
 * An in-memory driver for tests, with failure injection: `failNext('create', 2)` makes the next two
 * creates throw a VolumeBackendError, `failAlways('create')` every one until `heal()`.
 */
export class FakeDriver implements VolumeDriver {
  readonly backendName: string;
  readonly volumes = new Map<string, number>();
  /** Snapshot id → the volume it was taken of and that volume's size then. */
  readonly snapshots = new Map<string, { volumeId: string; size: number }>();
  /**
   * Every call, in order: `create <id>`, `delete <id>`, `extend <id> <size>`, `create_snapshot <id> <volume>`,
   * `delete_snapshot <id>`, `create_from_snapshot <id> <snapshot>`, `clone <id> <source>`.
   */
  readonly calls: string[] = [];
  private readonly pending = new Map<Operation, number>();
  private readonly always = new Set<Operation>();
  private capacityGb: number;

  constructor(private readonly options: FakeDriverOptions = {}) {
    this.backendName = options.backendName ?? 'fake';
    this.capacityGb = options.capacityGb ?? 1000;
  }

  failNext(op: Operation, times = 1): void {
    this.pending.set(op, (this.pending.get(op) ?? 0) + times);
  }

  failAlways(op: Operation): void {
    this.always.add(op);
  }

  heal(): void {
    this.pending.clear();
    this.always.clear();
  }

  setCapacity(gb: number): void {
    this.capacityGb = gb;
  }

  private maybeFail(op: Operation, volumeId: string): void {
    const n = this.pending.get(op) ?? 0;
    if (n > 0) {
      this.pending.set(op, n - 1);
      throw new VolumeBackendError(this.backendName, op, volumeId, 'injected failure');
    }
    if (this.always.has(op)) throw new VolumeBackendError(this.backendName, op, volumeId, 'injected failure');
  }

  async doSetup(): Promise<void> {}

  async getVolumeStats(): Promise<VolumeStats> {
    const allocated = [...this.volumes.values()].reduce((a, b) => a + b, 0);
    return {
      volume_backend_name: this.backendName,
      vendor_name: 'Fake',
      driver_version: '1.0.0',
      storage_protocol: 'fake',
      total_capacity_gb: this.capacityGb,
      free_capacity_gb: Math.max(0, this.capacityGb - allocated),
      allocated_capacity_gb: allocated,
      reserved_percentage: 0,
      thin_provisioning_support: false,
    };
  }

  async createVolume(volume: DriverVolume): Promise<void> {
    this.calls.push(`create ${volume.id}`);
    if (this.options.createDelayMs !== undefined && this.options.createDelayMs > 0) {
      await new Promise((r) => setTimeout(r, this.options.createDelayMs));
    }
    this.maybeFail('create', volume.id);
    this.volumes.set(volume.id, volume.size);
  }

  async deleteVolume(volume: DriverVolume): Promise<void> {
    this.calls.push(`delete ${volume.id}`);
    this.maybeFail('delete', volume.id);
    this.volumes.delete(volume.id);
  }

  async extendVolume(volume: DriverVolume, newSizeGb: number): Promise<void> {
    this.calls.push(`extend ${volume.id} ${newSizeGb}`);
    this.maybeFail('extend', volume.id);
    if (!this.volumes.has(volume.id))
      throw new VolumeBackendError(this.backendName, 'extend', volume.id, 'no such volume');
    this.volumes.set(volume.id, newSizeGb);
  }

  async volumeExists(volume: DriverVolume): Promise<boolean> {
    return this.volumes.has(volume.id);
  }

  async createSnapshot(snapshot: DriverSnapshot): Promise<void> {
    this.calls.push(`create_snapshot ${snapshot.id} ${snapshot.volumeId}`);
    this.maybeFail('create_snapshot', snapshot.id);
    const size = this.volumes.get(snapshot.volumeId);
    if (size === undefined)
      throw new VolumeBackendError(
        this.backendName,
        'create_snapshot',
        snapshot.id,
        `no such volume ${snapshot.volumeId}`,
      );
    this.snapshots.set(snapshot.id, { volumeId: snapshot.volumeId, size });
  }

  async deleteSnapshot(snapshot: DriverSnapshot): Promise<void> {
    this.calls.push(`delete_snapshot ${snapshot.id}`);
    this.maybeFail('delete_snapshot', snapshot.id);
    this.snapshots.delete(snapshot.id);
  }

  async createVolumeFromSnapshot(volume: DriverVolume, snapshot: DriverSnapshot): Promise<void> {
    this.calls.push(`create_from_snapshot ${volume.id} ${snapshot.id}`);
    this.maybeFail('create_from_snapshot', volume.id);
    const snap = this.snapshots.get(snapshot.id);
    if (snap === undefined)
      throw new VolumeBackendError(
        this.backendName,
        'create_from_snapshot',
        volume.id,
        `no such snapshot ${snapshot.id}`,
      );
    this.volumes.set(volume.id, Math.max(volume.size, snap.size));
  }

  async createClonedVolume(volume: DriverVolume, source: DriverVolume): Promise<void> {
    this.calls.push(`clone ${volume.id} ${source.id}`);
    this.maybeFail('clone', volume.id);
    const size = this.volumes.get(source.id);
    if (size === undefined)
      throw new VolumeBackendError(this.backendName, 'clone', volume.id, `no such volume ${source.id}`);
    this.volumes.set(volume.id, Math.max(volume.size, size));
  }
}
