import { VolumeBackendError, type DriverVolume, type VolumeDriver, type VolumeStats } from './driver';

export interface FakeDriverOptions {
  /** @default 'fake' */
  readonly backendName?: string;
  /** @default 1000 */
  readonly capacityGb?: number;
  /** Milliseconds each create takes. @default 0 */
  readonly createDelayMs?: number;
}

type Operation = 'create' | 'delete' | 'extend';

/**
 * An in-memory driver for tests, with failure injection: `failNext('create', 2)` makes the next two
 * creates throw a VolumeBackendError, `failAlways('create')` every one until `heal()`.
 */
export class FakeDriver implements VolumeDriver {
  readonly backendName: string;
  readonly volumes = new Map<string, number>();
  /** Every call, in order: `create <id>`, `delete <id>`, `extend <id> <size>`. */
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
    if (!this.volumes.has(volume.id)) throw new VolumeBackendError(this.backendName, 'extend', volume.id, 'no such volume');
    this.volumes.set(volume.id, newSizeGb);
  }

  async volumeExists(volume: DriverVolume): Promise<boolean> {
    return this.volumes.has(volume.id);
  }
}
