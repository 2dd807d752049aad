import type { Instance } from '../../objects/instance';
import type { RequestContext } from '../../rpc/context';
import type { Logger } from '../../rpc/logger';
import { Task, type RevertArgs } from '../../taskflow';

/** Retry bookkeeping that travels with a build (Nova filter_properties['retry']). */
export interface BuildRetry {
  /** Attempts made so far, this one included. */
  readonly numAttempts: number;
  /** Hosts tried so far, this one included. */
  readonly hosts: readonly string[];
  readonly lastError?: string;
}

/** Asks the conductor to build again elsewhere (it marks the instance ERROR when it cannot). */
export type Rescheduler = (ctx: RequestContext, instanceUuid: string, retry: BuildRetry) => Promise<void>;

export interface RescheduleOnFailureIn {
  retry: BuildRetry;
}

/**
 * First in the build flow, so its revert runs last: after the spawn was undone and the claim given
 * back, clear host/node and ask the conductor to reschedule (the conductor gives up with ERROR after
 * the maximum number of attempts). If even that cast fails, mark the instance ERROR here.
 * Reversion strategy: the reschedule described above.
 */
export class RescheduleOnFailureTask extends Task<RescheduleOnFailureIn, void> {
  constructor(
    private readonly ctx: RequestContext,
    private readonly instance: Instance,
    private readonly reschedule: Rescheduler,
    private readonly log: Logger,
  ) {
    super('compute.reschedule-on-failure', { requires: ['retry'] });
  }

  execute(): void {}

  override async revert({ args, flowFailures }: RevertArgs<RescheduleOnFailureIn, void>): Promise<void> {
    const failures = Object.values(flowFailures);
    if (failures.some((f) => f.check('BuildNotPendingError') !== undefined)) {
      // Another copy of this build cast owns the instance (or it is no longer building): not ours to reschedule.
      return;
    }
    const first = failures[0];
    const lastError = first !== undefined ? `${first.exceptionType}: ${first.message}` : 'unknown error';
    const i = this.instance;
    i.host = null;
    i.node = null;
    i.taskState = 'scheduling';
    await i.save();
    try {
      await this.reschedule(this.ctx, i.uuid, { ...args.retry, lastError });
    } catch (err) {
      this.log.error('could not ask the conductor to reschedule; marking the instance ERROR', {
        instanceUuid: i.uuid,
        err,
      });
      i.vmState = 'error';
      i.taskState = null;
      await i.save();
    }
  }
}
