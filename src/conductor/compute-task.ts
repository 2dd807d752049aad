/**
 * The conductor's compute task API (Nova conductor ComputeTaskManager.build_instances, trimmed):
 * ask the scheduler for a destination, cast the build to that compute host; on a reschedule, try
 * again without the hosts already tried, up to `maxAttempts`; when nothing fits or the attempts
 * are used up, mark the instance ERROR (no claim is left: the compute released it before asking).
 * Casts arrive at least once: only an instance waiting to be scheduled is scheduled, and every state
 * change it makes is a compare-and-set on the instance row.
 */
import { NoValidHostError, MaxRetriesExceededError } from '../compute/errors';
import type { ObjectEnvironment } from '../objects/environment';
import { InstanceNotFoundError, isLostInstanceRace } from '../objects/errors';
import { Instance } from '../objects/instance';
import type { RpcClient } from '../rpc/client';
import type { RequestContext } from '../rpc/context';
import { InvalidRpcMessageError } from '../rpc/errors';
import { nullLogger, type Logger } from '../rpc/logger';
import type { EventNotifier } from '../rpc/notifier';
import type { Destination } from '../scheduler/compute-scheduler';
import { BUILD_PENDING } from '../tasks/compute/claim-resources';
import type { BuildRetry } from '../tasks/compute/reschedule-on-failure';
import { InFlight } from '../service/in-flight';

/** Nova scheduler.max_attempts default. */
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface ComputeTaskOptions {
  /** Direct database access (the conductor's). */
  readonly objectEnv: ObjectEnvironment;
  /** Client of the scheduler topic. */
  readonly scheduler: RpcClient;
  /** Client of the compute topic (prepared per host). */
  readonly compute: RpcClient;
  /** @default 3 */
  readonly maxAttempts?: number;
  readonly logger?: Logger;
  /** Publishes `compute_task.build_instances` (ERROR) when a build fails for good; none when absent. */
  readonly notifier?: EventNotifier;
}

/** Nova's conductor event when it gives a build up (`_set_vm_state_and_notify`). */
export const BUILD_INSTANCES_ERROR = 'compute_task.build_instances';

interface Placement {
  readonly host: string | null;
  readonly node: string | null;
}

/** Where an instance waiting to be scheduled is: nowhere. */
const UNPLACED: Placement = Object.freeze({ host: null, node: null });

export class ComputeTaskEndpoint {
  readonly rpcApiVersion = '3.0';
  readonly rpcMethods = ['build_instances'] as const;
  private readonly log: Logger;
  readonly maxAttempts: number;
  /**
   * Instances a build_instances of this process is scheduling right now, until their destination is
   * recorded (from then on the row guards them), each with the token of the call that holds it.
   */
  private readonly scheduling = new InFlight();

  constructor(private readonly options: ComputeTaskOptions) {
    this.log = (options.logger ?? nullLogger).child({ component: 'compute-task' });
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isSafeInteger(this.maxAttempts) || this.maxAttempts < 1)
      throw new RangeError('maxAttempts must be a positive integer');
  }

  /**
   * args: `{ instanceUuid, retry? }` (cast from the API, or from a compute asking to reschedule).
   *
   * Casts arrive at least once, so the same request can come twice, or late. Only an instance waiting
   * to be scheduled (`building` / `scheduling`, no host) is scheduled: one whose build is under way
   * (a host recorded), over (ACTIVE, ERROR) or deleted is left alone. The destination is recorded on
   * the instance with a compare-and-set before the compute is told, so of two copies handled at once
   * (by two conductors) only one casts the build; in one process a copy arriving while another is being
   * scheduled returns at once.
   */
  async build_instances(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const uuid = args['instanceUuid'];
    if (typeof uuid !== 'string') throw new InvalidRpcMessageError('build_instances needs instanceUuid');
    const release = this.scheduling.hold(uuid);
    if (release === undefined) {
      this.log.info('build_instances for an instance being scheduled already; nothing to do', {
        instanceUuid: uuid,
      });
      return;
    }
    try {
      await this.schedule(ctx, uuid, args['retry'] as BuildRetry | undefined, release);
    } finally {
      release();
    }
  }

  /** `release` ends this call's hold on the instance (see {@link scheduling}). */
  private async schedule(
    ctx: RequestContext,
    uuid: string,
    previous: BuildRetry | undefined,
    release: () => void,
  ): Promise<void> {
    let instance: Instance;
    try {
      instance = await Instance.getByUuid(this.options.objectEnv, ctx, uuid);
    } catch (err) {
      if (!(err instanceof InstanceNotFoundError)) throw err;
      this.log.info('build_instances for an instance that is gone; nothing to do', { instanceUuid: uuid });
      return;
    }
    if (
      instance.vmState !== BUILD_PENDING.vmState ||
      instance.taskState !== BUILD_PENDING.taskState ||
      instance.host !== null
    ) {
      this.log.info(
        'build_instances for an instance not waiting to be scheduled (its build is under way or over); nothing to do',
        {
          instanceUuid: uuid,
          vmState: instance.vmState,
          taskState: instance.taskState,
          host: instance.host,
        },
      );
      return;
    }
    const attempt = (previous?.numAttempts ?? 0) + 1;
    if (attempt > this.maxAttempts) {
      const err = new MaxRetriesExceededError(
        uuid,
        previous?.numAttempts ?? 0,
        previous?.lastError ?? 'unknown',
      );
      await this.markError(instance, err);
      return;
    }
    let dest: Destination | undefined;
    try {
      const dests = await this.options.scheduler.call<Destination[]>(ctx, 'select_destinations', {
        spec: {
          instanceUuid: uuid,
          vcpus: instance.vcpus,
          memoryMb: instance.memoryMb,
          rootGb: instance.rootGb,
          ignoreHosts: previous?.hosts ?? [],
        },
      });
      dest = dests[0];
      if (dest === undefined) throw new NoValidHostError('the scheduler returned no destination');
    } catch (err) {
      await this.markError(instance, err);
      if (!(err instanceof NoValidHostError)) throw err;
      return;
    }
    const retry: BuildRetry = {
      numAttempts: attempt,
      hosts: [...(previous?.hosts ?? []), dest.host],
      ...(previous?.lastError !== undefined ? { lastError: previous.lastError } : {}),
    };
    // The compute builds only an instance sent to it (its host and node on the row, still scheduling).
    if (!(await this.moveInstance(instance, UNPLACED, { host: dest.host, node: dest.nodename }))) return;
    // The row guards the instance now. The compute may fail the build and ask for a reschedule before
    // this cast returns (it waits for the broker's confirm): that request must not be taken for a copy.
    release();
    this.log.info('building instance', { instanceUuid: uuid, host: dest.host, node: dest.nodename, attempt });
    try {
      await this.options.compute
        .prepare({ server: dest.host })
        .cast(ctx, 'build_and_run_instance', { instance, node: dest.nodename, limits: dest.limits, retry });
    } catch (err) {
      // The chosen compute could not be reached (gone since its last report): count it as a failed
      // attempt on that host and try the next one, within maxAttempts. The host is taken back first
      // (compare-and-set: a cast that got through after all may have started the build).
      this.log.warn('could not hand the build to the chosen compute; rescheduling', {
        instanceUuid: uuid,
        host: dest.host,
        err,
      });
      if (!(await this.moveInstance(instance, { host: dest.host, node: dest.nodename }, UNPLACED))) return;
      await this.schedule(
        ctx,
        uuid,
        { ...retry, lastError: `${(err as Error).name}: ${(err as Error).message}` },
        () => undefined,
      );
    }
  }

  /**
   * Moves a `building` / `scheduling` instance from `from` (host and node) to `to`, as a compare-and-set.
   * @returns false (logged) when the row was not as expected: another copy of the request moved it.
   */
  private async moveInstance(instance: Instance, from: Placement, to: Placement): Promise<boolean> {
    instance.host = to.host;
    instance.node = to.node;
    try {
      await instance.save([BUILD_PENDING.taskState], { ...from, vmState: BUILD_PENDING.vmState });
      return true;
    } catch (err) {
      if (!isLostInstanceRace(err)) throw err;
      this.log.info('another copy of this build request got to the instance first; nothing to do', {
        instanceUuid: instance.uuid,
        reason: (err as Error).message,
      });
      return false;
    }
  }

  /** Marks ERROR an instance still waiting to be scheduled (a copy that lost the race changes nothing). */
  private async markError(instance: Instance, err: unknown): Promise<void> {
    instance.vmState = 'error';
    instance.taskState = null;
    instance.host = null;
    instance.node = null;
    try {
      await instance.save([BUILD_PENDING.taskState], { ...UNPLACED, vmState: BUILD_PENDING.vmState });
    } catch (saveErr) {
      if (!isLostInstanceRace(saveErr)) throw saveErr;
      this.log.info('not marking ERROR an instance another copy of this build request moved on', {
        instanceUuid: instance.uuid,
        err,
      });
      return;
    }
    this.log.warn('instance build failed for good; marked ERROR', { instanceUuid: instance.uuid, err });
    await this.options.notifier?.notify(
      instance.objContext ?? null,
      BUILD_INSTANCES_ERROR,
      {
        instance_id: instance.uuid,
        state: 'error',
        method: 'build_instances',
        reason: err instanceof Error ? err.message : String(err),
        ...(err instanceof Error ? { exception: err.name } : {}),
      },
      'ERROR',
    );
  }
}
