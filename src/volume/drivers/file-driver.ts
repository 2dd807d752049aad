import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  GIB,
  VolumeBackendError,
  type DriverOperation,
  type DriverSnapshot,
  type DriverVolume,
  type VolumeDriver,
  type VolumeStats,
} from './driver';

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

const execFileAsync = promisify(execFile);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bytes read at a time by the sparse copy, and the granularity at which it skips zeros. */
const COPY_CHUNK = 1024 * 1024;
const COPY_BLOCK = 64 * 1024;

/**
 * Copies `src` to `dst` keeping it sparse, and grows `dst` to at least `minBytes`. First GNU `cp
 * --sparse=always --reflink=auto`, which finds the holes with SEEK_DATA/SEEK_HOLE (a 1 GiB sparse
 * volume copies in milliseconds) or shares the blocks where the filesystem can; where there is no such
 * `cp` (another OS), an in-process copy that reads everything and writes only the non-zero 64 KiB
 * blocks at their offsets (Node has no SEEK_DATA, so that one reads holes as zeros: seconds per GiB).
 */
export async function sparseCopy(src: string, dst: string, minBytes = 0): Promise<void> {
  if (!(await gnuCopy(src, dst))) await copySkippingZeros(src, dst);
  const st = await fs.stat(dst);
  if (st.size < minBytes) await fs.truncate(dst, minBytes);
}

let gnuCpUsable: boolean | undefined;

/** @returns false when no GNU cp is usable here (then nothing was done); throws when the copy itself failed. */
async function gnuCopy(src: string, dst: string): Promise<boolean> {
  if (gnuCpUsable === false) return false;
  try {
    await execFileAsync('cp', ['--sparse=always', '--reflink=auto', '--', src, dst]);
    gnuCpUsable = true;
    return true;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (
      gnuCpUsable === undefined &&
      (e.code === 'ENOENT' || /unrecognized option|illegal option|invalid option/i.test(e.stderr ?? ''))
    ) {
      gnuCpUsable = false;
      return false;
    }
    throw new Error(`cp ${src} ${dst} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

/** The portable fallback of {@link sparseCopy} (exported for its tests). */
export async function copySkippingZeros(src: string, dst: string): Promise<void> {
  const input = await fs.open(src, 'r');
  try {
    const output = await fs.open(dst, 'w', 0o600);
    try {
      const buf = Buffer.allocUnsafe(COPY_CHUNK);
      const zeros = Buffer.alloc(COPY_CHUNK);
      let pos = 0;
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, COPY_CHUNK, pos);
        if (bytesRead === 0) break;
        if (!buf.subarray(0, bytesRead).equals(zeros.subarray(0, bytesRead))) {
          for (let off = 0; off < bytesRead; off += COPY_BLOCK) {
            const end = Math.min(off + COPY_BLOCK, bytesRead);
            const block = buf.subarray(off, end);
            if (!block.equals(zeros.subarray(0, end - off)))
              await output.write(block, 0, block.length, pos + off);
          }
        }
        pos += bytesRead;
      }
      await output.truncate(pos);
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/**
 * The default driver: each volume is a sparse file `volume-<id>` of the volume's size in one directory.
 * Volumes are accounted thick (a file's apparent size counts fully against the capacity), so the
 * scheduler never places more than the backend could hold once the files fill up.
 */
export class FileDriver implements VolumeDriver {
  readonly backendName: string;
  readonly directory: string;

  constructor(private readonly options: FileDriverOptions) {
    if (typeof options.directory !== 'string' || options.directory === '')
      throw new TypeError('FileDriver needs a directory');
    if (
      options.capacityGb !== undefined &&
      !(Number.isFinite(options.capacityGb) && options.capacityGb >= 0)
    ) {
      throw new TypeError(
        `FileDriver capacityGb must be a non-negative number, got ${String(options.capacityGb)}`,
      );
    }
    this.directory = path.resolve(options.directory);
    this.backendName = options.backendName ?? 'file';
  }

  /** The file that holds a volume. */
  pathOf(volumeId: string, operation: DriverOperation = 'create'): string {
    if (!UUID_RE.test(volumeId))
      throw new VolumeBackendError(this.backendName, operation, volumeId, 'volume id is not a uuid');
    return path.join(this.directory, `volume-${volumeId}`);
  }

  /** The file that holds a snapshot (a sparse copy of its volume's file). */
  snapshotPathOf(snapshotId: string, operation: DriverOperation = 'create_snapshot'): string {
    if (!UUID_RE.test(snapshotId))
      throw new VolumeBackendError(this.backendName, operation, snapshotId, 'snapshot id is not a uuid');
    return path.join(this.directory, `snapshot-${snapshotId}`);
  }

  async doSetup(): Promise<void> {
    try {
      await fs.mkdir(this.directory, { recursive: true });
      await fs.access(this.directory, fs.constants.W_OK);
    } catch (err) {
      throw new VolumeBackendError(
        this.backendName,
        'setup',
        null,
        `volume directory ${this.directory} is not usable: ${(err as Error).message}`,
        { cause: err },
      );
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
    const free =
      this.options.capacityGb !== undefined ? unallocated : Math.min(unallocated, Math.floor(fsFree / GIB));
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
      throw new VolumeBackendError(this.backendName, 'create', volume.id, (err as Error).message, {
        cause: err,
      });
    }
  }

  async deleteVolume(volume: DriverVolume): Promise<void> {
    try {
      await fs.rm(this.pathOf(volume.id), { force: true });
    } catch (err) {
      throw new VolumeBackendError(this.backendName, 'delete', volume.id, (err as Error).message, {
        cause: err,
      });
    }
  }

  async extendVolume(volume: DriverVolume, newSizeGb: number): Promise<void> {
    const file = this.pathOf(volume.id);
    try {
      const st = await fs.stat(file);
      if (newSizeGb * GIB < st.size) throw new Error(`new size ${newSizeGb} GiB is smaller than the volume`);
      await fs.truncate(file, newSizeGb * GIB);
    } catch (err) {
      throw new VolumeBackendError(this.backendName, 'extend', volume.id, (err as Error).message, {
        cause: err,
      });
    }
  }

  async volumeExists(volume: DriverVolume): Promise<boolean> {
    return fs.stat(this.pathOf(volume.id)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /**
   * A sparse copy of the volume's file as `snapshot-<id>`, written under a temporary name and renamed,
   * so a snapshot file that exists is always complete.
   */
  async createSnapshot(snapshot: DriverSnapshot): Promise<void> {
    const file = this.snapshotPathOf(snapshot.id);
    const part = `${file}.part`;
    try {
      await sparseCopy(this.pathOf(snapshot.volumeId, 'create_snapshot'), part);
      await fs.rename(part, file);
    } catch (err) {
      await fs.rm(part, { force: true }).catch(() => undefined);
      if (err instanceof VolumeBackendError) throw err;
      throw new VolumeBackendError(this.backendName, 'create_snapshot', snapshot.id, (err as Error).message, {
        cause: err,
      });
    }
  }

  async deleteSnapshot(snapshot: DriverSnapshot): Promise<void> {
    try {
      await fs.rm(this.snapshotPathOf(snapshot.id, 'delete_snapshot'), { force: true });
    } catch (err) {
      if (err instanceof VolumeBackendError) throw err;
      throw new VolumeBackendError(this.backendName, 'delete_snapshot', snapshot.id, (err as Error).message, {
        cause: err,
      });
    }
  }

  /** The volume's file is a sparse copy of the snapshot's, grown to the volume's size. */
  async createVolumeFromSnapshot(volume: DriverVolume, snapshot: DriverSnapshot): Promise<void> {
    await this.copyInto(
      volume,
      this.snapshotPathOf(snapshot.id, 'create_from_snapshot'),
      'create_from_snapshot',
    );
  }

  /** The volume's file is a sparse copy of the source volume's, grown to the volume's size. */
  async createClonedVolume(volume: DriverVolume, source: DriverVolume): Promise<void> {
    await this.copyInto(volume, this.pathOf(source.id, 'clone'), 'clone');
  }

  private async copyInto(volume: DriverVolume, from: string, operation: DriverOperation): Promise<void> {
    const file = this.pathOf(volume.id, operation);
    try {
      await sparseCopy(from, file, volume.size * GIB);
    } catch (err) {
      await fs.rm(file, { force: true }).catch(() => undefined);
      throw new VolumeBackendError(this.backendName, operation, volume.id, (err as Error).message, {
        cause: err,
      });
    }
  }
}
