/** GET /os-services (admin), as Cinder's services controller lists them. */
import type { ApiVersion } from '../middleware/microversion';
import { formatTimestamp } from './common';

/** A service record as the view reads it (field names follow `ServiceEntity`). */
export interface ServiceViewSource {
  readonly host: string;
  readonly binary: string;
  readonly availabilityZone: string;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date | null;
  readonly forcedDown?: boolean;
  readonly clusterName?: string | null;
  readonly replicationStatus?: string | null;
  readonly activeBackendId?: string | null;
  readonly frozen?: boolean;
}

/** Cinder's rule: up when the last heartbeat (or creation) is within `serviceDownTimeSec` and not forced down. */
export function serviceIsUp(s: ServiceViewSource, now: Date, serviceDownTimeSec: number): boolean {
  if (s.forcedDown === true) return false;
  const last = s.updatedAt ?? s.createdAt;
  return (now.getTime() - last.getTime()) / 1000 <= serviceDownTimeSec;
}

/**
 * `{"services": [...]}` with Cinder 21's keys in its order: binary, host, zone, status, state, updated_at,
 * then `backend_state` (3.49, cinder-volume only), `cluster` (3.7), `disabled_reason`, and for
 * cinder-volume `replication_status`, `active_backend_id`, `frozen`. Cinder takes `backend_state` from the
 * scheduler's pools (`up` unless the driver reports otherwise, null for a backend the scheduler does not
 * hold, i.e. one whose service is not up); our drivers report no state, so a live volume service is `up`.
 */
export function serviceList(
  services: readonly ServiceViewSource[],
  microversion: ApiVersion,
  now: Date,
  serviceDownTimeSec: number,
): { services: Record<string, unknown>[] } {
  return {
    services: services.map((s) => {
      const up = serviceIsUp(s, now, serviceDownTimeSec);
      const out: Record<string, unknown> = {
        binary: s.binary,
        host: s.host,
        zone: s.availabilityZone,
        status: s.disabled ? 'disabled' : 'enabled',
        state: up ? 'up' : 'down',
        updated_at: formatTimestamp(s.updatedAt),
      };
      if (microversion.atLeast('3.49') && s.binary === 'cinder-volume') out.backend_state = up ? 'up' : null;
      if (microversion.atLeast('3.7')) out.cluster = s.clusterName ?? null;
      out.disabled_reason = s.disabledReason;
      if (s.binary === 'cinder-volume') {
        out.replication_status = s.replicationStatus ?? 'disabled';
        out.active_backend_id = s.activeBackendId ?? null;
        out.frozen = s.frozen ?? false;
      }
      return out;
    }),
  };
}
