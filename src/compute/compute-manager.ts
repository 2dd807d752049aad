/**
 * The compute manager (Nova compute/manager.py, trimmed): one resource tracker per node of its
 * driver, `update_available_resource` as a periodic task (and once in preStartHook), and
 * `build_and_run_instance` running the build flow on the engine. It has no database: every object
 * method goes through the conductor (its ObjectEnvironment is `remote`).
 */
import { buildInstanceFlow } from '../flows/build-instance';
import { ComputeNode } from '../objects/compute-node';
import type { ObjectEnvironment } from '../objects/environment';
import { InstanceNotFoundError } from '../objects/errors';
import { Instance } from '../objects/instance';
import type { RpcClient } from '../rpc/client';
import { RequestContext } from '../rpc/context';
import { InvalidRpcMessageError, MessageDeliveryFailure, MessagingTimeout } from '../rpc/errors';
import type { Logger } from '../rpc/logger';
import { Manager, type ManagerOptions } from '../service/manager';
import { DEFAULT_INTERVAL } from '../service/periodic-task';
import { runFlow } from '../taskflow';
import { BUILD_PENDING } from '../tasks/compute/claim-resources';
import type { BuildRetry } from '../tasks/compute/reschedule-on-failure';
import type { EventNotifier } from '../rpc/notifier';
import { BuildNotPendingError } from './errors';
import type { FakeVirtDriver } from './fake-driver';
import { InstanceNotifier } from './notifications';
import { ResourceTracker, type ClaimLimits } from './resource-tracker';
import { InFlight } from '../service/in-flight';

export interface ComputeManagerOptions extends ManagerOptions<FakeVirtDriver> {
  readonly driver: FakeVirtDriver;
  /** Remote (through the conductor) in a compute process. */
  readonly objectEnv: ObjectEnvironment;
  /** Client of the conductor (topic 'conductor'), for reschedules. */
  readonly conductor: RpcClient;
  /**
   * Client of the scheduler (topic 'scheduler'), for instance info updates; optional. They go out as
   * fanout casts (Nova's SchedulerAPI prepares them with fanout=True), so every scheduler's host
   * manager stays current, not just the one that would have taken a plain cast.
   */
  readonly scheduler?: RpcClient;
  /** Seconds between resource audits. @default 60 */
  readonly updateResourcesInterval?: number;
  /** Publishes compute.instance.create.start/.end/.error (publisher `compute.<host>`); none when absent. */
  readonly notifier?: EventNotifier;
  /**
   * How long start-up waits for the conductor to answer a ping (Nova's wait_until_ready), in seconds;
   * 0 to not wait. @default 120
   */
  readonly conductorWaitTimeout?: number;
  /** Timeout of each ping, ms. @default 5000 */
  readonly conductorPingTimeoutMs?: number;
  /** Pause after a ping that found no conductor queue yet, ms. @default 1000 */
  readonly conductorRetryDelayMs?: number;
  /** Ends the wait for the conductor early (the process is stopping): the start fails with its reason. */
  readonly startAbort?: AbortSignal;
  /** @default setTimeout-based, ended early by `startAbort` */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Nova's warning, word for word, so operators find it. */
export const CONDUCTOR_WAIT_WARNING =
  'Timed out waiting for nova-conductor. Is it running? Or did this service start before nova-conductor? Reattempting establishment of nova-conductor connection...';

export const COMPUTE_API_VERSION = '5.0';

export interface ConductorWaitOptions {
  readonly timeoutSec: number;
  readonly pingTimeoutMs: number;
  readonly retryDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** Checked before each ping: an aborted wait throws its reason. */
  readonly abort?: AbortSignal;
}

/** A sleep that an abort ends at once (resolving: the caller checks the signal next). */
function abortableSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
}

/**
 * Everything compute does at start (its service record, the first resource audit) goes through the
 * conductor, so a compute started together with (or before) its conductor pings it until it answers
 * (Nova's wait_until_ready): a ping nobody can receive yet (no queue: MessageDeliveryFailure) or
 * nobody answers (MessagingTimeout) is retried until `timeoutSec`, then that error fails the start.
 */
export async function waitForConductor(
  conductor: RpcClient,
  host: string,
  log: Logger,
  o: ConductorWaitOptions,
): Promise<void> {
  if (o.timeoutSec <= 0) return;
  const deadline = o.now() + o.timeoutSec * 1000;
  const ping = conductor.prepare({ timeoutMs: o.pingTimeoutMs });
  for (let attempt = 1; ; attempt += 1) {
    o.abort?.throwIfAborted();
    try {
      await ping.call(RequestContext.admin(), 'ping', { arg: `nova-compute ${host}` });
      if (attempt > 1) log.info('nova-conductor connection established', { attempts: attempt });
      return;
    } catch (err) {
      if (!(err instanceof MessagingTimeout || err instanceof MessageDeliveryFailure)) throw err;
      if (o.now() >= deadline) throw err;
      log.warn(CONDUCTOR_WAIT_WARNING, { attempt, reason: err.message });
      if (err instanceof MessageDeliveryFailure) await o.sleep(o.retryDelayMs);
    }
  }
}

export class ComputeManager extends Manager<FakeVirtDriver> {
  override readonly rpcApiVersion = COMPUTE_API_VERSION;
  /** What other services may call; the tracker and audit helpers are for this process only. */
  readonly rpcMethods = ['build_and_run_instance'] as const;
  readonly objectEnv: ObjectEnvironment;
  private readonly trackers = new Map<string, ResourceTracker>();
  private readonly conductor: RpcClient;
  private readonly scheduler: RpcClient | undefined;
  private readonly virt: FakeVirtDriver;
  private readonly waitOptions: ConductorWaitOptions;
  private readonly notifications: InstanceNotifier;
  /** Instances a build_and_run_instance of this process is building right now. */
  private readonly building = new InFlight();

  constructor(options: ComputeManagerOptions) {
    super({ serviceName: 'compute', ...options });
    this.virt = options.driver;
    this.objectEnv = options.objectEnv;
    this.conductor = options.conductor;
    this.scheduler = options.scheduler?.prepare({ fanout: true });
    this.notifications = new InstanceNotifier(options.notifier);
    this.waitOptions = {
      timeoutSec: options.conductorWaitTimeout ?? 120,
      pingTimeoutMs: options.conductorPingTimeoutMs ?? 5000,
      retryDelayMs: options.conductorRetryDelayMs ?? 1000,
      sleep: options.sleep ?? abortableSleep(options.startAbort),
      now: options.now ?? Date.now,
      ...(options.startAbort !== undefined ? { abort: options.startAbort } : {}),
    };
    this.addPeriodicTask((ctx) => this.updateAvailableResource(ctx), {
      name: 'update_available_resource',
      spacing: options.updateResourcesInterval ?? DEFAULT_INTERVAL,
    });
  }

  override async initHost(): Promise<void> {
    await waitForConductor(this.conductor, this.host, this.log, this.waitOptions);
    await this.virt.initHost();
  }

  /** Nova runs the first resource audit before the service starts listening. */
  override async preStartHook(): Promise<void> {
    await this.updateAvailableResource(RequestContext.admin());
  }

  /** The tracker of a node (created on first use). */
  tracker(nodename: string): ResourceTracker {
    let t = this.trackers.get(nodename);
    if (t === undefined) {
      t = new ResourceTracker(this.host, nodename, this.virt, this.objectEnv, this.log);
      this.trackers.set(nodename, t);
    }
    return t;
  }

  /**
   * Audit every node the driver reports, then delete compute nodes of this host the driver no
   * longer reports, then tell the scheduler which instances run here.
   */
  async updateAvailableResource(ctx: RequestContext): Promise<void> {
    const nodes = new Set(this.virt.getAvailableNodes());
    for (const nodename of nodes) await this.tracker(nodename).updateAvailableResource(ctx);
    for (const name of [...this.trackers.keys()]) if (!nodes.has(name)) this.trackers.delete(name);
    for (const cn of await ComputeNode.getAllByHost(this.objectEnv, ctx, this.host)) {
      if (!nodes.has(cn.hypervisorHostname)) {
        this.log.info('deleting orphan compute node', {
          computeNodeId: cn.id,
          nodename: cn.hypervisorHostname,
        });
        await cn.destroy();
      }
    }
    await this.sendInstanceInfo(ctx);
  }

  /**
   * Cast from the conductor. args: `{ instance, node, limits, retry }`. Runs the build flow; a failure
   * has already been reverted (and rescheduled) by the flow, so it is logged, not rethrown.
   *
   * Casts arrive at least once, so the same request can come twice, or late (after the instance was
   * rescheduled elsewhere, went ACTIVE or ERROR, or was deleted). Only an instance the conductor sent to
   * this host and node and whose build has not started (`building` / `scheduling`) is built: a copy
   * arriving while this process builds it returns at once (Nova locks on the instance uuid), any other
   * copy finds the row changed, and the claim takes the instance with a compare-and-set, so even two
   * processes never both claim and spawn it.
   */
  async build_and_run_instance(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const instance = args['instance'];
    const node = args['node'];
    if (!(instance instanceof Instance))
      throw new InvalidRpcMessageError('build_and_run_instance needs an Instance');
    if (typeof node !== 'string' || !this.virt.getAvailableNodes().includes(node)) {
      throw new InvalidRpcMessageError(
        `build_and_run_instance: node '${String(node)}' is not on host ${this.host}`,
      );
    }
    const release = this.building.hold(instance.uuid);
    if (release === undefined) {
      this.log.info(
        'build_and_run_instance for an instance this compute is building already; nothing to do',
        {
          instanceUuid: instance.uuid,
        },
      );
      return;
    }
    try {
      await this.buildOnce(ctx, instance, node, args);
    } finally {
      release();
    }
  }

  private async buildOnce(
    ctx: RequestContext,
    instance: Instance,
    node: string,
    args: Record<string, unknown>,
  ): Promise<void> {
    // The cast carries the instance as the conductor saw it; a late copy carries a stale one.
    try {
      await instance.refresh();
    } catch (err) {
      if (!(err instanceof InstanceNotFoundError)) throw err;
      this.log.info('build_and_run_instance for an instance that is gone; nothing to do', {
        instanceUuid: instance.uuid,
      });
      return;
    }
    if (
      instance.host !== this.host ||
      instance.node !== node ||
      instance.vmState !== BUILD_PENDING.vmState ||
      instance.taskState !== BUILD_PENDING.taskState
    ) {
      this.log.info('build_and_run_instance for an instance not waiting to be built here; nothing to do', {
        instanceUuid: instance.uuid,
        node,
        host: instance.host,
        instanceNode: instance.node,
        vmState: instance.vmState,
        taskState: instance.taskState,
      });
      return;
    }
    const retry = (args['retry'] ?? { numAttempts: 1, hosts: [this.host] }) as BuildRetry;
    const limits = (args['limits'] ?? {}) as ClaimLimits;
    const flow = buildInstanceFlow({
      ctx,
      instance,
      tracker: this.tracker(node),
      driver: this.virt,
      logger: this.log,
      reschedule: (c, instanceUuid, r) =>
        this.conductor.cast(c, 'build_instances', { instanceUuid, retry: r }),
    });
    await this.notifications.createStart(ctx, instance);
    try {
      await runFlow(flow, { store: { limits, retry } });
    } catch (err) {
      if (err instanceof BuildNotPendingError) {
        // Another copy of this cast (another process) took the instance between the check above and the claim.
        this.log.info(
          'build_and_run_instance lost the instance to another copy of the request; nothing to do',
          {
            instanceUuid: instance.uuid,
            node,
            reason: err.reason,
          },
        );
        return;
      }
      this.log.warn('instance build failed and was reverted', {
        instanceUuid: instance.uuid,
        node,
        attempt: retry.numAttempts,
        err,
      });
      await this.notifications.createError(ctx, instance, err);
      // The scheduler that picked this host counted the instance here; it runs here no more.
      await this.sendDeleteInstanceInfo(ctx, instance.uuid);
      return;
    }
    this.log.info('instance built', { instanceUuid: instance.uuid, node });
    await this.notifications.createEnd(ctx, instance);
    await this.sendInstanceInfo(ctx);
  }

  /** Tells every scheduler which instances run on this host (update_instance_info, fanout). */
  private async sendInstanceInfo(ctx: RequestContext): Promise<void> {
    if (this.scheduler === undefined) return;
    try {
      await this.scheduler.cast(ctx, 'update_instance_info', {
        host: this.host,
        instanceUuids: this.virt.listInstanceUuids(),
      });
    } catch (err) {
      this.log.warn('could not send instance info to the scheduler', { err });
    }
  }

  /** Tells every scheduler an instance no longer runs on this host (delete_instance_info, fanout). */
  private async sendDeleteInstanceInfo(ctx: RequestContext, instanceUuid: string): Promise<void> {
    if (this.scheduler === undefined) return;
    try {
      await this.scheduler.cast(ctx, 'delete_instance_info', { host: this.host, instanceUuid });
    } catch (err) {
      this.log.warn('could not send instance info to the scheduler', { err, instanceUuid });
    }
  }
}
