import { Task, type RevertArgs } from '../../taskflow';
import type { VolumeEntryStore } from './types';

export interface OnFailureIn {
  volume_id: string;
  volume_spec?: Record<string, unknown>;
}

export interface OnFailureOut {
  volume_id: string;
  volume_spec: Record<string, unknown> | null;
}

/** What OnFailure logs through (a winston child fits). */
export interface OnFailureLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
}

/**
 * Passes the volume id (and spec) on; it exists for its revert, which runs when anything after the quota
 * commit fails (the cast to the scheduler).
 *
 * Reversion strategy: set the volume's status to `error` (the row stays visible to the user, its quota
 * is given back by QuotaCommit's revert, which marks it as no longer counting) and log the cause. The API
 * flow never changes a source volume's status, so there is none to restore.
 */
export class OnFailureTask extends Task<OnFailureIn, OnFailureOut> {
  constructor(
    private readonly store: VolumeEntryStore,
    private readonly log?: OnFailureLogger,
  ) {
    super('volume:create.on-failure', {
      requires: ['volume_id'],
      optional: ['volume_spec'],
      provides: ['volume_id', 'volume_spec'],
    });
  }

  execute({ volume_id: volumeId, volume_spec: spec }: OnFailureIn): OnFailureOut {
    return { volume_id: volumeId, volume_spec: spec ?? null };
  }

  override async revert({ args, flowFailures }: RevertArgs<OnFailureIn, OnFailureOut>): Promise<void> {
    await this.store.setVolumeStatus(args.volume_id, 'error');
    const causes = Object.entries(flowFailures).map(([atom, f]) => ({
      atom,
      error: f.exceptionType,
      message: f.message,
    }));
    this.log?.warn('volume create failed after its quota was committed; volume set to error', {
      volumeId: args.volume_id,
      causes,
    });
  }
}
