/**
 * Scheduling instances onto compute nodes (Nova scheduler, seed 001): a {@link HostManager} keeps a
 * state per compute node — refreshed from the nodes' resource reports (the compute_nodes rows the
 * resource trackers save) and from the instance info computes send — and a {@link FilterScheduler}
 * keeps the hosts with enough vCPU, RAM and disk (and not already tried, and up), weighs them by
 * free RAM, and consumes the chosen host's resources so the next pick in the same burst sees them.
 */
import { ComputeNode } from '../objects/compute-node';
import type { ObjectEnvironment } from '../objects/environment';
import type { RequestContext } from '../rpc/context';
import { InvalidRpcMessageError } from '../rpc/errors';
import { nullLogger, type Logger } from '../rpc/logger';
import { Manager, type ManagerOptions } from '../service/manager';
import type { ServiceGroup } from '../service/service-group';
import { NoValidHostError } from '../compute/errors';

export interface RequestSpec {
  readonly instanceUuid: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly rootGb: number;
  /** Hosts already tried for this build (the retry filter). */
  readonly ignoreHosts?: readonly string[];
  /** @default 1 */
  readonly numInstances?: number;
}

export interface Destination {
  readonly host: string;
  readonly nodename: string;
  /** What the compute may allow this claim to reach on that node. */
  readonly limits: { readonly vcpus: number; readonly memoryMb: number; readonly diskGb: number };
}

export class HostState {
  vcpus = 0;
  memoryMb = 0;
  localGb = 0;
  vcpusUsed = 0;
  memoryMbUsed = 0;
  localGbUsed = 0;
  /** When the node last reported; a newer report replaces what this state consumed since. */
  updatedAt = 0;
  constructor(
    readonly host: string,
    readonly nodename: string,
    /**
     * Instance uuids on this node's host: what its compute last said it runs (update_instance_info,
     * delete_instance_info) plus what this scheduler placed there since. Shared by the host's nodes.
     */
    readonly instances: Set<string> = new Set<string>(),
  ) {}

  get freeVcpus(): number {
    return this.vcpus - this.vcpusUsed;
  }
  get freeRamMb(): number {
    return this.memoryMb - this.memoryMbUsed;
  }
  get freeDiskGb(): number {
    return this.localGb - this.localGbUsed;
  }

  updateFromNode(node: ComputeNode): void {
    this.vcpus = node.vcpus;
    this.memoryMb = node.memoryMb;
    this.localGb = node.localGb;
    this.vcpusUsed = node.vcpusUsed;
    this.memoryMbUsed = node.memoryMbUsed;
    this.localGbUsed = node.localGbUsed;
    this.updatedAt = (node.updatedAt ?? node.createdAt).getTime();
  }

  consume(spec: RequestSpec): void {
    this.vcpusUsed += spec.vcpus;
    this.memoryMbUsed += spec.memoryMb;
    this.localGbUsed += spec.rootGb;
    this.instances.add(spec.instanceUuid);
  }
}

export interface HostManagerOptions {
  /** Whether a host's compute service is up (service group). @default every host is up */
  readonly isHostUp?: (host: string) => boolean | Promise<boolean>;
  readonly logger?: Logger;
}

export class HostManager {
  private readonly states = new Map<string, HostState>();
  /**
   * Instance info by host (Nova's HostManager._instance_info), kept apart from the node states so an
   * update that arrives before this scheduler has read the host's compute node is not lost.
   */
  private readonly instanceInfo = new Map<string, Set<string>>();
  private readonly log: Logger;

  constructor(
    private readonly env: ObjectEnvironment,
    private readonly options: HostManagerOptions = {},
  ) {
    this.log = (options.logger ?? nullLogger).child({ component: 'host-manager' });
  }

  /** States of every live node, refreshed from reports newer than what was consumed locally. */
  async getAllHostStates(ctx: RequestContext): Promise<HostState[]> {
    const nodes = await ComputeNode.getAll(this.env, ctx);
    const seen = new Set<string>();
    for (const node of nodes) {
      const key = `${node.host}/${node.hypervisorHostname}`;
      seen.add(key);
      let state = this.states.get(key);
      if (state === undefined) {
        state = new HostState(node.host, node.hypervisorHostname, this.instancesOf(node.host));
        this.states.set(key, state);
      }
      const reported = (node.updatedAt ?? node.createdAt).getTime();
      if (reported > state.updatedAt || state.vcpus === 0) state.updateFromNode(node);
    }
    for (const key of [...this.states.keys()]) if (!seen.has(key)) this.states.delete(key);
    return [...this.states.values()];
  }

  async isUp(host: string): Promise<boolean> {
    return this.options.isHostUp === undefined ? true : await this.options.isHostUp(host);
  }

  /** The host's instance set, the one its node states share (created empty on first use). */
  private instancesOf(host: string): Set<string> {
    let set = this.instanceInfo.get(host);
    if (set === undefined) {
      set = new Set<string>();
      this.instanceInfo.set(host, set);
    }
    return set;
  }

  /** A compute reports the instances it runs (replaces what was known for that host). */
  updateInstanceInfo(host: string, instanceUuids: readonly string[]): void {
    const set = this.instancesOf(host);
    set.clear();
    for (const u of instanceUuids) set.add(u);
    this.log.debug('instance info updated', { host, instances: instanceUuids.length });
  }

  /** A compute no longer runs (or never got to run) this instance. */
  deleteInstanceInfo(host: string, instanceUuid: string): void {
    this.instanceInfo.get(host)?.delete(instanceUuid);
    this.log.debug('instance info deleted', { host, instanceUuid });
  }

  instancesOn(host: string): string[] {
    return [...(this.instanceInfo.get(host) ?? [])];
  }
}

function validateSpec(spec: RequestSpec): void {
  if (spec === null || typeof spec !== 'object')
    throw new InvalidRpcMessageError('request spec must be an object');
  if (typeof spec.instanceUuid !== 'string' || spec.instanceUuid === '')
    throw new InvalidRpcMessageError('request spec needs instanceUuid');
  for (const k of ['vcpus', 'memoryMb', 'rootGb'] as const) {
    if (!Number.isSafeInteger(spec[k]) || spec[k] < 0)
      throw new InvalidRpcMessageError(`request spec ${k} must be a non-negative integer`);
  }
}

/**
 * `isHostUp` for the host manager from the service group (Nova ComputeFilter): a host passes when its
 * compute service record is up (recent heartbeat, not forced down) and not disabled.
 */
export function serviceGroupHostCheck(
  group: ServiceGroup,
  binary = 'nova-compute',
): (host: string) => Promise<boolean> {
  return async (host) => (await group.listWithState({ host, binary })).some((r) => r.up && !r.disabled);
}

export class FilterScheduler {
  constructor(private readonly hostManager: HostManager) {}

  /** One destination per instance, or NoValidHostError saying which filter removed the hosts. */
  async selectDestinations(ctx: RequestContext, spec: RequestSpec): Promise<Destination[]> {
    validateSpec(spec);
    const states = await this.hostManager.getAllHostStates(ctx);
    const ignore = new Set(spec.ignoreHosts ?? []);
    const out: Destination[] = [];
    for (let n = 0; n < (spec.numInstances ?? 1); n += 1) {
      let candidates = states;
      const removed: string[] = [];
      const apply = async (
        name: string,
        keep: (s: HostState) => boolean | Promise<boolean>,
      ): Promise<void> => {
        const next: HostState[] = [];
        for (const s of candidates) if (await keep(s)) next.push(s);
        if (next.length < candidates.length)
          removed.push(`${name} removed ${candidates.length - next.length}`);
        candidates = next;
      };
      await apply('RetryFilter', (s) => !ignore.has(s.host));
      await apply('ComputeFilter', (s) => this.hostManager.isUp(s.host));
      await apply('CoreFilter', (s) => s.freeVcpus >= spec.vcpus);
      await apply('RamFilter', (s) => s.freeRamMb >= spec.memoryMb);
      await apply('DiskFilter', (s) => s.freeDiskGb >= spec.rootGb);
      if (candidates.length === 0) {
        throw new NoValidHostError(
          states.length === 0
            ? 'There are no compute nodes.'
            : `${states.length} host(s) considered; ${removed.join(', ')}.`,
        );
      }
      const best = [...candidates].sort(
        (a, b) => b.freeRamMb - a.freeRamMb || a.host.localeCompare(b.host),
      )[0]!;
      best.consume(spec);
      out.push({
        host: best.host,
        nodename: best.nodename,
        limits: { vcpus: best.vcpus, memoryMb: best.memoryMb, diskGb: best.localGb },
      });
    }
    return out;
  }
}

/** RPC API version of the compute scheduler methods. */
export const COMPUTE_SCHEDULER_API_VERSION = '4.0';

/** The scheduler's compute methods; add it to the scheduler service's endpoints. */
export class ComputeSchedulerEndpoint {
  readonly rpcApiVersion = COMPUTE_SCHEDULER_API_VERSION;
  readonly rpcMethods = ['select_destinations', 'update_instance_info', 'delete_instance_info'] as const;

  constructor(
    readonly hostManager: HostManager,
    readonly driver: FilterScheduler = new FilterScheduler(hostManager),
  ) {}

  /** args: `{ spec: RequestSpec }` → `Destination[]`. */
  select_destinations(ctx: RequestContext, args: Record<string, unknown>): Promise<Destination[]> {
    return this.driver.selectDestinations(ctx, args['spec'] as RequestSpec);
  }

  /** args: `{ host, instanceUuids }` (a fanout cast: every scheduler gets it). */
  update_instance_info(_ctx: RequestContext, args: Record<string, unknown>): void {
    const host = args['host'];
    const uuids = args['instanceUuids'];
    if (typeof host !== 'string' || !Array.isArray(uuids))
      throw new InvalidRpcMessageError('update_instance_info needs host and instanceUuids');
    this.hostManager.updateInstanceInfo(
      host,
      uuids.filter((u): u is string => typeof u === 'string'),
    );
  }

  /** args: `{ host, instanceUuid }` (a fanout cast: every scheduler gets it). */
  delete_instance_info(_ctx: RequestContext, args: Record<string, unknown>): void {
    const host = args['host'];
    const uuid = args['instanceUuid'];
    if (typeof host !== 'string' || typeof uuid !== 'string')
      throw new InvalidRpcMessageError('delete_instance_info needs host and instanceUuid');
    this.hostManager.deleteInstanceInfo(host, uuid);
  }
}

/** A scheduler manager serving only compute scheduling (the volume scheduler can add the endpoint instead). */
export class ComputeSchedulerManager extends Manager {
  readonly endpoint: ComputeSchedulerEndpoint;

  constructor(
    options: ManagerOptions & {
      readonly objectEnv: ObjectEnvironment;
      readonly isHostUp?: HostManagerOptions['isHostUp'];
    },
  ) {
    super({ serviceName: 'scheduler', ...options });
    const hm = new HostManager(options.objectEnv, {
      ...(options.isHostUp !== undefined ? { isHostUp: options.isHostUp } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    this.endpoint = new ComputeSchedulerEndpoint(hm);
    this.additionalEndpoints.push(this.endpoint);
  }
}
