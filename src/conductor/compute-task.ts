/**
 * The conductor's compute task API (Nova conductor ComputeTaskManager.build_instances, trimmed):
 * ask the scheduler for a destination, cast the build to that compute host; on a reschedule, try
 * again without the hosts already tried, up to `maxAttempts`; when nothing fits or the attempts
 * are used up, mark the instance ERROR (no claim is left: the compute released it before asking).
 */
import { NoValidHostError, MaxRetriesExceededError } from '../compute/errors';
import type { ObjectEnvironment } from '../objects/environment';
import { Instance } from '../objects/instance';
import type { RpcClient } from '../rpc/client';
import type { RequestContext } from '../rpc/context';
import { InvalidRpcMessageError } from '../rpc/errors';
import { nullLogger, type Logger } from '../rpc/logger';
import type { EventNotifier } from '../rpc/notifier';
import type { Destination } from '../scheduler/compute-scheduler';
import type { BuildRetry } from '../tasks/compute/reschedule-on-failure';

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

export class ComputeTaskEndpoint {
  readonly rpcApiVersion = '3.0';
  readonly rpcMethods = ['build_instances'] as const;
  private readonly log: Logger;
  readonly maxAttempts: number;

  constructor(private readonly options: ComputeTaskOptions) {
    this.log = (options.logger ?? nullLogger).child({ component: 'compute-task' });
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isSafeInteger(this.maxAttempts) || this.maxAttempts < 1) throw new RangeError('maxAttempts must be a positive integer');
  }

  /** args: `{ instanceUuid, retry? }` (cast from the API, or from a compute asking to reschedule). */
  async build_instances(ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    const uuid = args['instanceUuid'];
    if (typeof uuid !== 'string') throw new InvalidRpcMessageError('build_instances needs instanceUuid');
    const previous = args['retry'] as BuildRetry | undefined;
    const instance = await Instance.getByUuid(this.options.objectEnv, ctx, uuid);
    const attempt = (previous?.numAttempts ?? 0) + 1;
    if (attempt > this.maxAttempts) {
      const err = new MaxRetriesExceededError(uuid, previous?.numAttempts ?? 0, previous?.lastError ?? 'unknown');
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
    const retry: BuildRetry = { numAttempts: attempt, hosts: [...(previous?.hosts ?? []), dest.host], ...(previous?.lastError !== undefined ? { lastError: previous.lastError } : {}) };
    this.log.info('building instance', { instanceUuid: uuid, host: dest.host, node: dest.nodename, attempt });
    try {
      await this.options.compute
        .prepare({ server: dest.host })
        .cast(ctx, 'build_and_run_instance', { instance, node: dest.nodename, limits: dest.limits, retry });
    } catch (err) {
      // The chosen compute could not be reached (gone since its last report): count it as a failed
      // attempt on that host and try the next one, within maxAttempts.
      this.log.warn('could not hand the build to the chosen compute; rescheduling', { instanceUuid: uuid, host: dest.host, err });
      await this.build_instances(ctx, {
        instanceUuid: uuid,
        retry: { ...retry, lastError: `${(err as Error).name}: ${(err as Error).message}` },
      });
    }
  }

  private async markError(instance: Instance, err: unknown): Promise<void> {
    this.log.warn('instance build failed for good; marking ERROR', { instanceUuid: instance.uuid, err });
    instance.vmState = 'error';
    instance.taskState = null;
    instance.host = null;
    instance.node = null;
    await instance.save();
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
