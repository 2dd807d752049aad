/**
 * A fake virt driver (Nova's fake driver): reports configurable vCPU / RAM / disk for one or more
 * nodes and "spawns" instances in memory; it can be told to fail spawns, for tests of the build
 * flow's revert and reschedule.
 */
import { SpawnFailedError } from './errors';

export interface NodeResources {
  readonly hypervisorHostname: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly localGb: number;
}

/** What the fake driver reports when not told otherwise (the `[compute] fake_*` defaults). */
export const DEFAULT_FAKE_RESOURCES = Object.freeze({ vcpus: 8, memoryMb: 16384, diskGb: 500 });

export interface FakeDriverOptions {
  readonly host: string;
  /** Node names; @default [host] */
  readonly nodes?: readonly string[];
  /** @default 8 */
  readonly vcpus?: number;
  /** @default 16384 */
  readonly memoryMb?: number;
  /** @default 500 */
  readonly diskGb?: number;
  /** Fail every spawn (true), none (false), or the next N spawns (a number). @default false */
  readonly failSpawns?: boolean | number;
}

export interface SpawnRequest {
  readonly uuid: string;
  readonly node: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly rootGb: number;
}

export class FakeVirtDriver {
  readonly host: string;
  private nodes: string[];
  private resources: { vcpus: number; memoryMb: number; diskGb: number };
  private failSpawns: boolean | number;
  private readonly running = new Map<string, SpawnRequest>();
  /** Every spawn attempt, in order (for tests and the hypervisor listing). */
  readonly spawnAttempts: string[] = [];

  /** @throws RangeError naming the option when a size is not a positive integer. */
  constructor(options: FakeDriverOptions) {
    this.host = options.host;
    this.nodes = [...(options.nodes ?? [options.host])];
    this.resources = {
      vcpus: options.vcpus ?? DEFAULT_FAKE_RESOURCES.vcpus,
      memoryMb: options.memoryMb ?? DEFAULT_FAKE_RESOURCES.memoryMb,
      diskGb: options.diskGb ?? DEFAULT_FAKE_RESOURCES.diskGb,
    };
    // Checked here, where a deployment sizes its hypervisor; configure() may set nonsense on purpose,
    // which the resource tracker's verification then refuses (as it would a real driver's bad report).
    for (const [key, v] of Object.entries(this.resources)) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new RangeError(`fake driver ${key} must be a positive integer, got ${String(v)}`);
    }
    this.failSpawns = options.failSpawns ?? false;
  }

  /** Change what the driver reports (an operator resizing the fake hypervisor). */
  configure(
    options: Partial<Pick<FakeDriverOptions, 'vcpus' | 'memoryMb' | 'diskGb' | 'nodes' | 'failSpawns'>>,
  ): void {
    if (options.nodes !== undefined) this.nodes = [...options.nodes];
    if (options.failSpawns !== undefined) this.failSpawns = options.failSpawns;
    this.resources = {
      vcpus: options.vcpus ?? this.resources.vcpus,
      memoryMb: options.memoryMb ?? this.resources.memoryMb,
      diskGb: options.diskGb ?? this.resources.diskGb,
    };
  }

  async initHost(): Promise<void> {}

  getAvailableNodes(): string[] {
    return [...this.nodes];
  }

  getAvailableResource(nodename: string): NodeResources {
    return {
      hypervisorHostname: nodename,
      vcpus: this.resources.vcpus,
      memoryMb: this.resources.memoryMb,
      localGb: this.resources.diskGb,
    };
  }

  async spawn(request: SpawnRequest): Promise<void> {
    this.spawnAttempts.push(request.uuid);
    const fail = this.failSpawns === true || (typeof this.failSpawns === 'number' && this.failSpawns > 0);
    if (typeof this.failSpawns === 'number' && this.failSpawns > 0) this.failSpawns -= 1;
    if (fail) throw new SpawnFailedError(request.uuid, this.host, 'the fake driver was told to fail spawns');
    this.running.set(request.uuid, request);
  }

  /** Remove an instance; unknown ones are fine (cleanup after a failed spawn). */
  async destroy(uuid: string): Promise<void> {
    this.running.delete(uuid);
  }

  listInstanceUuids(): string[] {
    return [...this.running.keys()];
  }
}
