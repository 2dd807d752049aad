import { Task, type RevertArgs } from '../../taskflow';
import type { SerializedRequestContext } from '../../rpc/context';
import type { ManagerTaskLogger, ManagerVolumeRows, VolumeRescheduler } from './types';

export interface OnFailureRescheduleIn {
  context: SerializedRequestContext;
  volume_id: string;
  request_spec: Record<string, unknown>;
  filter_properties: Record<string, unknown>;
}

/** Failures that rescheduling cannot help: the volume is gone or has moved on. */
const NOT_RESCHEDULABLE = ['VolumeStateChangedError', 'VolumeNotFoundError'];

/**
 * Second in the manager flow, so its revert runs after the create was undone (Cinder's
 * `OnFailureRescheduleTask`). Nothing happens on execute.
 *
 * Reversion strategy: when the failure is one another backend might not have, clear the volume's host
 * (it stays `creating`) and send it back to the scheduler with the retry info and the error; the
 * scheduler refuses once `scheduler_max_attempts` is reached and sets the volume `error`. When the
 * volume's snapshot or source volume is not usable (no backend could help), or without retry
 * info, or when the cast to the scheduler fails, set the volume `error` here. A volume that is gone or
 * not `creating` any more is left alone.
 */
export class OnFailureRescheduleTask extends Task<OnFailureRescheduleIn, void> {
  constructor(
    private readonly rows: ManagerVolumeRows,
    private readonly reschedule: VolumeRescheduler,
    private readonly log: ManagerTaskLogger,
  ) {
    super('volume:create-manager.on-failure-reschedule', {
      requires: ['context', 'volume_id', 'request_spec', 'filter_properties'],
    });
  }

  execute(): void {}

  override async revert({ args, flowFailures }: RevertArgs<OnFailureRescheduleIn, void>): Promise<void> {
    const cause = Object.values(flowFailures)[0];
    if (cause !== undefined && cause.check(...NOT_RESCHEDULABLE) !== undefined) return;
    const exc = cause === undefined ? 'unknown error' : `${cause.exceptionType}: ${cause.message}`;
    if (cause !== undefined && cause.check('VolumeSourceUnavailableError') !== undefined) {
      await this.rows.transition(args.volume_id, ['creating'], 'error');
      this.log.error(
        'volume create failed: its snapshot or source volume is not usable; volume set to error',
        { volumeId: args.volume_id, cause: exc },
      );
      return;
    }
    const retry = args.filter_properties['retry'];
    if (retry === null || typeof retry !== 'object') {
      await this.rows.transition(args.volume_id, ['creating'], 'error');
      this.log.error('volume create failed and cannot be rescheduled (no retry info)', {
        volumeId: args.volume_id,
        cause: exc,
      });
      return;
    }
    const stillCreating = await this.rows.transition(args.volume_id, ['creating'], 'creating', {
      host: null,
    });
    if (!stillCreating) return;
    const filterProperties = {
      ...args.filter_properties,
      retry: { ...(retry as Record<string, unknown>), exc },
    };
    try {
      await this.reschedule(args.context, args.volume_id, args.request_spec, filterProperties);
      this.log.warn('volume create failed; rescheduled', { volumeId: args.volume_id, cause: exc });
    } catch (err) {
      await this.rows.transition(args.volume_id, ['creating'], 'error');
      this.log.error('volume create failed and the reschedule could not be sent; volume set to error', {
        volumeId: args.volume_id,
        cause: exc,
        err,
      });
    }
  }
}
