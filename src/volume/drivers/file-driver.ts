import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { GIB, VolumeBackendError, type DriverVolume, type VolumeDriver, type VolumeStats } from './driver';

export interface FileDriverOptions {
  /** Where the volume files live (created when missing). */
  readonly directory: string;
  /** @default 'file' */
  readonly backendName?: string;
  /**
   * The capacity to report, in GiB. Without it the capacity is the filesystem's (fs.statfs), and free
   * space is the smaller of what the filesystem has free and what the volumes have not been given.
   */
  readonly capacityGb?: number;
  /** @default 0 */
  readonly reservedPercentage?: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The default driver: each volume is a sparse file `volume-<id>` of the volume's size in one directory.
 * Volumes are accounted thick (a file's apparent size counts fully against the capacity), so the
 * scheduler never places more than the backend could hold once the files fill up.
 */
export class FileDriver implements VolumeDriver {
  readonly backendName: string;
  readonly directory: string;

  constructor(private readonly options: FileDriverOptions) {
    if (typeof options.directory !== 'string' || options.directory === '') throw new TypeError('FileDriver needs a directory');
    if (options.capacityGb !== undefined && !(Number.isFinite(options.capacityGb) && options.capacityGb >= 0)) {
      throw new TypeError(`FileDriver capacityGb must be a non-negative number, got ${String(options.capacityGb)}`);
    }
    this.directory = path.resolve(options.directory);
    this.backendName = options.backendName ?? 'file';
  }

  /** The file that holds a volume. */
  pathOf(volumeId: string): string {
    if (!UUID_RE.test(volumeId)) throw new VolumeBackendError(this.backendName, 'create', volumeId, 'volume id is not a uuid');
    return path.join(this.directory, `volume-${volumeId}`);
  }

  async doSetup(): Promise<void> {
    try {
      await fs.mkdir(this.directory, { recursive: true });
      await fs.access(this.directory, fs.constants.W_OK);
    } catch (err) {
      throw new VolumeBackendError(this.backendName, 'setup', null, `volume directory ${this.directory} is not usable: ${(err as Error).message}`, { cause: err });
    }
  }

  async getVolumeStats(): Promise<VolumeStats> {
    let allocatedBytes = 0;
    let fsTotal: number;
    let fsFree: number;
    try {
      const st = await fs.statfs(this.directory);
      fsTotal = st.blocks * st.bsize;
      fsFree = st.bavail * st.bsize;
      for (const name of await fs.readdir(this.directory)) {
        if (!name.startsWith('volume-')) continue;
        const s = await fs.stat(path.join(this.directory, name)).catch(() => undefined);
        if (s?.isFile() === true) allocatedBytes += s.size;
      }
    } catch (err) {
      throw new VolumeBackendError(this.backendName, 'stats', null, (err as Error).message, { cause: err });
    }
    const allocated = Math.ceil(allocatedBytes / GIB);
    const total = this.options.capacityGb ?? Math.floor(fsTotal / GIB);
    const unallocated = Math.max(0, total - allocated);
    const free = this.options.capacityGb !== undefined ? unallocated : Math.min(unallocated, Math.floor(fsFree / GIB));
    return {
      volume_backend_name: this.backendName,
      vendor_name: 'Open Source',
      driver_version: '1.0.0',
      storage_protocol: 'file',
      total_capacity_gb: total,
      free_capacity_gb: free,
      allocated_capacity_gb: allocated,
      reserved_percentage: this.options.reservedPercentage ?? 0,
      thin_provisioning_support: false,
    };
  }

  async createVolume(volume: DriverVolume): Promise<void> {
    const file = this.pathOf(volume.id);
    try {
      // 'w' creates or truncates; a retried create of the same volume ends with the same sparse file.
      const handle = await fs.open(file, 'w', 0o600);
      try {
        await handle.truncate(volume.size * GIB);
      } finally {
        await handle.close();
      }
    } catch (err) {
      await fs.rm(file, { force: true }).catch(() => undefined);
      throw new VolumeBackendError(this.backendName, 'create', volume.id, (err as Error).message, { cause: err });
    }
  }

  async deleteVolume(volume: DriverVolume): Promise<void> {
    try {
      await fs.rm(this.pathOf(volume.id), { force: true });
    } catch (err) {
      throw new VolumeBackendError(this.backendName, 'delete', volume.id, (err as Error).message, { cause: err });
    }
  }

  async extendVolume(volume: DriverVolume, newSizeGb: number): Promise<void> {
    const file = this.pathOf(volume.id);
    try {
      const st = await fs.stat(file);
      if (newSizeGb * GIB < st.size) throw new Error(`new size ${newSizeGb} GiB is smaller than the volume`);
      await fs.truncate(file, newSizeGb * GIB);
    } catch (err) {
      throw new VolumeBackendError(this.backendName, 'extend', volume.id, (err as Error).message, { cause: err });
    }
  }

  async volumeExists(volume: DriverVolume): Promise<boolean> {
    return fs.stat(this.pathOf(volume.id)).then((s) => s.isFile(), () => false);
  }
}
