/**
 * The resource tracker (Nova compute/resource_tracker.py) for one node: keeps the node's
 * compute-node record in step with what the driver reports plus what the instances on it use, and
 * grants claims for new instances. Everything happens under one lock, so a claim never races the
 * periodic audit. The record is saved through the objects layer (through the conductor in compute).
 */
import { ComputeNode } from '../objects/compute-node';
import type { ObjectEnvironment } from '../objects/environment';
import { ComputeHostNotFoundError } from '../objects/errors';
import { Instance } from '../objects/instance';
import type { RequestContext } from '../rpc/context';
import { nullLogger, type Logger } from '../rpc/logger';
import { BUILD_PENDING } from '../tasks/compute/claim-resources';
import { BuildNotPendingError, ComputeResourcesUnavailableError, InvalidResourceReportError } from './errors';
import type { FakeVirtDriver, NodeResources } from './fake-driver';

/** Resources an instance uses. */
export interface InstanceUsage {
  readonly uuid: string;
  readonly vcpus: number;
  readonly memoryMb: number;
  readonly rootGb: number;
}

/** Upper bounds the scheduler computed for this node (oversubscription); totals when absent. */
export interface ClaimLimits {
  readonly vcpus?: number;
  readonly memoryMb?: number;
  readonly diskGb?: number;
}

/** vm states whose instances no longer hold resources. */
const NO_USAGE_STATES = new Set(['deleted', 'error']);

/**
 * The task state of an instance the conductor has sent here but whose claim is not made yet: the
 * audit leaves it to the claim, which counts it (else an audit between the two would count it twice).
 */
const UNCLAIMED_TASK_STATE = BUILD_PENDING.taskState;

/** A tiny FIFO async mutex. */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function verify(r: NodeResources): void {
  for (const key of ['vcpus', 'memoryMb', 'localGb'] as const) {
    const v = r[key];
    if (!Number.isSafeInteger(v) || v < 0)
      throw new InvalidResourceReportError(
        r.hypervisorHostname,
        `${key} must be a non-negative integer, got ${String(v)}`,
      );
  }
}

export class ResourceTracker {
  private readonly lock = new Lock();
  /** Claims granted on this node that the database may not show yet (host/node not saved). */
  private readonly claims = new Map<string, InstanceUsage>();
  private node: ComputeNode | undefined;
  private readonly log: Logger;

  constructor(
    readonly host: string,
    readonly nodename: string,
    private readonly driver: FakeVirtDriver,
    private readonly env: ObjectEnvironment,
    logger: Logger = nullLogger,
  ) {
    this.log = logger.child({ component: 'resource-tracker', host, nodename });
  }

  /** The compute node as last saved (undefined before the first update). */
  get computeNode(): ComputeNode | undefined {
    return this.node;
  }

  /** Claims currently held, by instance uuid. */
  get claimedInstances(): string[] {
    return [...this.claims.keys()];
  }

  /**
   * The periodic audit: ask the driver, verify, add the usage of the instances on this node and the
   * outstanding claims, and save the compute node (created on first run).
   */
  updateAvailableResource(ctx: RequestContext): Promise<ComputeNode> {
    return this.lock.run(async () => {
      const resources = this.driver.getAvailableResource(this.nodename);
      verify(resources);
      const node = await this.loadOrCreateNode(ctx, resources);
      node.vcpus = resources.vcpus;
      node.memoryMb = resources.memoryMb;
      node.localGb = resources.localGb;
      const instances = await Instance.getByHost(this.env, ctx, this.host, this.nodename);
      const usage = new Map<string, InstanceUsage>();
      for (const i of instances) {
        if (i.vmState !== null && NO_USAGE_STATES.has(i.vmState)) continue;
        if (i.taskState === UNCLAIMED_TASK_STATE) continue;
        usage.set(i.uuid, { uuid: i.uuid, vcpus: i.vcpus, memoryMb: i.memoryMb, rootGb: i.rootGb });
      }
      for (const c of this.claims.values()) usage.set(c.uuid, c);
      await this.saveUsage(node, [...usage.values()]);
      this.log.debug('updated available resources', {
        vcpusUsed: node.vcpusUsed,
        memoryMbUsed: node.memoryMbUsed,
        instances: usage.size,
      });
      return node;
    });
  }

  /**
   * Claim resources for a new instance; ComputeResourcesUnavailableError (naming what is short) when it
   * does not fit. Saves the node's new usage.
   *
   * `takeInstance` runs first under the same lock (Nova sets the instance's host and node inside its
   * claim): the build's compare-and-set on the instance row. When it throws, nothing is claimed, so a
   * copy of a build cast that lost the race neither claims nor fails on a full node. A claim already
   * held for the instance means another copy is building it here: BuildNotPendingError.
   */
  instanceClaim(
    ctx: RequestContext,
    instance: InstanceUsage,
    limits: ClaimLimits = {},
    takeInstance?: () => Promise<void>,
  ): Promise<void> {
    return this.lock.run(async () => {
      if (this.claims.has(instance.uuid))
        throw new BuildNotPendingError(
          instance.uuid,
          this.host,
          'a claim for it is held on this node already',
        );
      const node =
        this.node ?? (await this.loadOrCreateNode(ctx, this.driver.getAvailableResource(this.nodename)));
      await takeInstance?.();
      const checks: Array<[string, number, number, number]> = [
        ['vcpus', instance.vcpus, limits.vcpus ?? node.vcpus, node.vcpusUsed],
        ['memory_mb', instance.memoryMb, limits.memoryMb ?? node.memoryMb, node.memoryMbUsed],
        ['disk_gb', instance.rootGb, limits.diskGb ?? node.localGb, node.localGbUsed],
      ];
      for (const [what, requested, limit, used] of checks) {
        if (used + requested > limit) {
          throw new ComputeResourcesUnavailableError(
            this.host,
            this.nodename,
            `${what}: requested ${requested}, free ${limit - used} of ${limit}`,
          );
        }
      }
      this.claims.set(instance.uuid, { ...instance });
      node.runningVms = node.runningVms + 1;
      await this.saveUsage(node, this.currentUsage(node, instance, +1));
      this.log.debug('claim granted', { instanceUuid: instance.uuid });
    });
  }

  /** Give back a claim (failed build); a claim not held is a no-op. */
  abortInstanceClaim(ctx: RequestContext, uuid: string): Promise<void> {
    return this.lock.run(async () => {
      const claim = this.claims.get(uuid);
      if (claim === undefined) return;
      this.claims.delete(uuid);
      const node =
        this.node ?? (await this.loadOrCreateNode(ctx, this.driver.getAvailableResource(this.nodename)));
      node.runningVms = Math.max(0, node.runningVms - 1);
      await this.saveUsage(node, this.currentUsage(node, claim, -1));
      this.log.debug('claim released', { instanceUuid: uuid });
    });
  }

  /** The build finished: the instance row now carries host/node, so the audit counts it from the DB. */
  finishClaim(uuid: string): void {
    this.claims.delete(uuid);
  }

  private currentUsage(node: ComputeNode, delta: InstanceUsage, sign: 1 | -1): InstanceUsage[] {
    // Express the node's current usage as one aggregate plus the change.
    return [
      { uuid: '*current*', vcpus: node.vcpusUsed, memoryMb: node.memoryMbUsed, rootGb: node.localGbUsed },
      {
        uuid: delta.uuid,
        vcpus: sign * delta.vcpus,
        memoryMb: sign * delta.memoryMb,
        rootGb: sign * delta.rootGb,
      },
    ];
  }

  private async saveUsage(node: ComputeNode, usages: InstanceUsage[]): Promise<void> {
    const vcpusUsed = Math.max(
      0,
      usages.reduce((s, u) => s + u.vcpus, 0),
    );
    const memoryMbUsed = Math.max(
      0,
      usages.reduce((s, u) => s + u.memoryMb, 0),
    );
    const localGbUsed = Math.max(
      0,
      usages.reduce((s, u) => s + u.rootGb, 0),
    );
    const running = usages.filter((u) => u.uuid !== '*current*' && u.vcpus > 0).length;
    node.vcpusUsed = vcpusUsed;
    node.memoryMbUsed = memoryMbUsed;
    node.localGbUsed = localGbUsed;
    node.freeRamMb = node.memoryMb - memoryMbUsed;
    node.freeDiskGb = node.localGb - localGbUsed;
    if (!usages.some((u) => u.uuid === '*current*')) node.runningVms = running;
    await node.save();
    this.node = node;
  }

  private async loadOrCreateNode(ctx: RequestContext, resources: NodeResources): Promise<ComputeNode> {
    if (this.node !== undefined) return this.node;
    try {
      this.node = await ComputeNode.getByHostAndNode(this.env, ctx, this.host, this.nodename);
    } catch (err) {
      if (!(err instanceof ComputeHostNotFoundError)) throw err;
      const node = new ComputeNode(this.env, ctx, {
        host: this.host,
        hypervisorHostname: this.nodename,
        vcpus: resources.vcpus,
        memoryMb: resources.memoryMb,
        localGb: resources.localGb,
        freeRamMb: resources.memoryMb,
        freeDiskGb: resources.localGb,
      });
      await node.create();
      this.log.info('created compute node record', { computeNodeId: node.id });
      this.node = node;
    }
    return this.node;
  }
}
