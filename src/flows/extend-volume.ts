import { LinearFlow } from '../taskflow';
import {
  ExtendBeginTask,
  ExtendCastTask,
  ExtendQuotaReserveTask,
  InjectTask,
  type ExtendTarget,
  type VolumeExtendCaster,
  type VolumeFlowContext,
  type VolumeQuotas,
  type VolumeStatusSwitch,
} from '../tasks/volume';

export const EXTEND_VOLUME_FLOW = 'volume:extend';

export interface ExtendVolumeFlowDeps {
  readonly quotas: VolumeQuotas;
  readonly volumes: VolumeStatusSwitch;
  readonly backend: VolumeExtendCaster;
  /** The error when the volume is no longer `available` at the moment of the switch. */
  readonly onRefused: (volumeId: string) => Error;
}

/**
 * volume:extend, the API side of `os-extend`: 1 inject the request, 2 reserve the extra gigabytes,
 * 3 switch the volume `available` → `extending`, 4 cast the extend (with the reservations) to its host.
 * A failure reverts: status back to `available`, reservation rolled back.
 */
export function extendVolumeFlow(
  deps: ExtendVolumeFlowDeps,
  spec: {
    readonly context: Omit<VolumeFlowContext, 'quota_committed'>;
    readonly volume: ExtendTarget;
    readonly newSizeGb: number;
  },
) {
  const injected = {
    context: { ...spec.context, roles: [...spec.context.roles], quota_committed: false },
    volume: { ...spec.volume },
    new_size: spec.newSizeGb,
  };
  return new LinearFlow(EXTEND_VOLUME_FLOW).add(
    new InjectTask(injected, 'volume:extend.inject'),
    new ExtendQuotaReserveTask(deps.quotas),
    new ExtendBeginTask(deps.volumes, deps.onRefused),
    new ExtendCastTask(deps.backend),
  );
}
