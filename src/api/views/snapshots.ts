/** Snapshot views (POST 202, GET list/detail/show), in Cinder's field order. */
import type { ApiVersion } from '../middleware/microversion';
import { collectionLinks, formatTimestamp, type Link, type LinkBase } from './common';

/** A snapshot as the views read it (field names follow `SnapshotEntity`). */
export interface SnapshotViewSource {
  readonly id: string;
  readonly volumeId: string;
  readonly projectId: string;
  readonly userId: string;
  readonly status: string;
  readonly progress: string | null;
  readonly volumeSize: number;
  readonly displayName: string | null;
  readonly displayDescription: string | null;
  readonly createdAt: Date | string;
  readonly updatedAt: Date | string | null;
  readonly groupSnapshotId?: string | null;
  /** @default true */
  readonly useQuota?: boolean;
}

/** Options for {@link snapshotDetail}. */
export interface SnapshotDetailOptions {
  /** Add `os-extended-snapshot-attributes:project_id` / `:progress` (show and detail, not create). @default false */
  readonly extendedAttributes?: boolean;
  /**
   * Cinder's summary view (GET /snapshots): the v2 fields only, none of the microversion additions
   * (its v3 view builder overrides `detail` alone). @default false
   */
  readonly summary?: boolean;
}

/** The snapshot object: id, created_at, updated_at, name, description, volume_id, status, size, metadata, […]. */
export function snapshotDetail(
  s: SnapshotViewSource,
  metadata: Readonly<Record<string, string>>,
  microversion: ApiVersion,
  options: SnapshotDetailOptions = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: s.id,
    created_at: formatTimestamp(s.createdAt),
    updated_at: formatTimestamp(s.updatedAt),
    name: s.displayName,
    description: s.displayDescription,
    volume_id: s.volumeId,
    status: s.status,
    size: s.volumeSize,
    metadata: { ...metadata },
  };
  if (options.summary !== true) {
    if (microversion.atLeast('3.14')) out.group_snapshot_id = s.groupSnapshotId ?? null;
    if (microversion.atLeast('3.41')) out.user_id = s.userId;
    if (microversion.atLeast('3.65')) out.consumes_quota = s.useQuota ?? true;
  }
  // The extended_snapshot_attributes extension, in its order: project_id, then progress.
  if (options.extendedAttributes === true) {
    out['os-extended-snapshot-attributes:project_id'] = s.projectId;
    out['os-extended-snapshot-attributes:progress'] = s.progress;
  }
  return out;
}

/** GET /snapshots and /snapshots/detail: `{"snapshots": [...], "snapshots_links"?: [...]}`. */
export function snapshotList(
  items: readonly {
    readonly snapshot: SnapshotViewSource;
    readonly metadata: Readonly<Record<string, string>>;
  }[],
  microversion: ApiVersion,
  links: LinkBase,
  paging: {
    readonly limit: number;
    readonly query: readonly (readonly [string, string])[];
    readonly contextProjectId: string;
    readonly detail: boolean;
  },
): { snapshots: Record<string, unknown>[]; snapshots_links?: Link[] } {
  const body: { snapshots: Record<string, unknown>[]; snapshots_links?: Link[] } = {
    snapshots: items.map(({ snapshot, metadata }) =>
      snapshotDetail(snapshot, metadata, microversion, {
        extendedAttributes: paging.detail,
        summary: !paging.detail,
      }),
    ),
  };
  const next = collectionLinks({
    hostUrl: links.hostUrl,
    contextProjectId: paging.contextProjectId,
    collection: paging.detail ? 'snapshots/detail' : 'snapshots',
    query: paging.query,
    limit: paging.limit,
    ids: items.map(({ snapshot }) => snapshot.id),
  });
  if (next.length > 0) body.snapshots_links = next;
  return body;
}

/** `{"snapshot": …}` for POST /snapshots (202): no extended attributes. */
export function snapshotCreatedView(
  s: SnapshotViewSource,
  metadata: Readonly<Record<string, string>>,
  microversion: ApiVersion,
): { snapshot: Record<string, unknown> } {
  return { snapshot: snapshotDetail(s, metadata, microversion) };
}

/** `{"snapshot": …}` for GET /snapshots/{id}: with the extended attributes. */
export function snapshotShowView(
  s: SnapshotViewSource,
  metadata: Readonly<Record<string, string>>,
  microversion: ApiVersion,
): { snapshot: Record<string, unknown> } {
  return { snapshot: snapshotDetail(s, metadata, microversion, { extendedAttributes: true }) };
}
