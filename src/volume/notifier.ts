/**
 * Volume lifecycle notifications (`volume.create.start`, `volume.create.end`, …): the notifier itself
 * is shared with compute and lives in src/rpc/notifier.ts; this module adds Cinder's volume payload.
 */
import type { VolumeRef } from './volume-rows';

export {
  EventNotifier,
  NOTIFICATIONS_TOPIC,
  type Notification,
  type NotificationPriority,
} from '../rpc/notifier';

/** Cinder's `_usage_from_volume`, trimmed to what the rows hold. */
export function volumeUsagePayload(
  v: VolumeRef,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    tenant_id: v.projectId,
    user_id: v.userId,
    volume_id: v.id,
    size: v.size,
    status: v.status,
    host: v.host,
    availability_zone: v.availabilityZone,
    volume_type: v.volumeTypeId,
    ...extra,
  };
}
