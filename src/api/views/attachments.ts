/**
 * Cinder's attachment views (`cinder/api/v3/views/attachments.py`): the summary (id, status, instance,
 * volume_id), the detail (plus attached_at, detached_at as '' when unset, attach_mode,
 * connection_info) and the lists, which carry no links.
 */
import type { AttachmentRecord } from '../../volume/attachments-v3';

/** A stored time as Cinder prints it (`.mmm000`), or '' for none (its `_normalize`). */
function normalized(d: Date | null): string {
  return d === null ? '' : `${d.toISOString().slice(0, 19)}.${d.toISOString().slice(20, 23)}000`;
}

export function attachmentSummary(a: AttachmentRecord): Record<string, unknown> {
  return { id: a.id, status: a.attachStatus, instance: a.instanceUuid, volume_id: a.volumeId };
}

export function attachmentDetail(a: AttachmentRecord): Record<string, unknown> {
  return {
    ...attachmentSummary(a),
    attached_at: normalized(a.attachTime),
    detached_at: normalized(a.detachTime),
    attach_mode: a.attachMode,
    connection_info: a.connectionInfo,
  };
}

export function attachmentList(
  items: readonly AttachmentRecord[],
  detail = false,
): { attachments: Record<string, unknown>[] } {
  return { attachments: items.map(detail ? attachmentDetail : attachmentSummary) };
}
