/**
 * Cinder's attachment views (`cinder/api/v3/views/attachments.py`): the summary (id, status, instance,
 * volume_id), the detail (plus attached_at, detached_at as '' when unset, attach_mode,
 * connection_info) and the lists, which carry no links.
 */
import type { AttachmentRecord } from '../../volume/attachments-v3';
import { formatTimestamp } from './common';

export function attachmentSummary(a: AttachmentRecord): Record<string, unknown> {
  return { id: a.id, status: a.attachStatus, instance: a.instanceUuid, volume_id: a.volumeId };
}

export function attachmentDetail(a: AttachmentRecord): Record<string, unknown> {
  return {
    ...attachmentSummary(a),
    attached_at: formatTimestamp(a.attachTime) ?? '', // '' for none, as Cinder's _normalize
    detached_at: formatTimestamp(a.detachTime) ?? '',
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
