/**
 * The volume view builder: Cinder 21's summary and detail JSON, field for field and in Cinder's order,
 * with the fields that appear by microversion and the admin-only ones.
 */
import type { ApiVersion } from '../middleware/microversion';
import { isAllowed } from '../policy';
import { collectionLinks, formatTimestamp, resourceLinks, type Link, type LinkBase } from './common';

/** A volume as the views read it; field names follow `VolumeEntity`, so an entity can be passed as is. */
export interface VolumeViewSource {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly size: number;
  readonly status: string;
  readonly displayName: string | null;
  readonly displayDescription: string | null;
  readonly availabilityZone: string | null;
  readonly volumeTypeId: string | null;
  readonly snapshotId: string | null;
  readonly sourceVolid: string | null;
  /** `host@backend#pool`, null until scheduled. */
  readonly host: string | null;
  readonly bootable: boolean;
  readonly encryptionKeyId: string | null;
  readonly multiattach: boolean;
  readonly migrationStatus: string | null;
  /** A Date prints `.mmm000`; a preformatted string keeps its microseconds. */
  readonly createdAt: Date | string;
  readonly updatedAt: Date | string | null;
  readonly replicationStatus?: string | null;
  readonly consistencygroupId?: string | null;
  readonly groupId?: string | null;
  readonly providerId?: string | null;
  readonly serviceUuid?: string | null;
  /** Cinder's column defaults to true and the backend sets it; by default: true until placed on a host. */
  readonly sharedTargets?: boolean;
  readonly clusterName?: string | null;
  /** Cinder's `use_quota`. @default true */
  readonly useQuota?: boolean;
  /** `os-vol-mig-status-attr:name_id`. */
  readonly nameId?: string | null;
}

/** What the volume row does not hold. */
export interface VolumeViewExtras {
  /** The type's name (the `volume_type` field); null when the volume has no type. */
  readonly volumeTypeName: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly attachments?: readonly unknown[];
}

/** Who asks and how: the caller (for admin-only fields) and the negotiated microversion. */
export interface VolumeViewContext {
  readonly isAdmin: boolean;
  readonly projectId: string;
  readonly microversion: ApiVersion;
  readonly links: LinkBase;
}

/** Cinder's fixed legacy encryption key id, never shown. */
const FIXED_KEY_ID = '00000000-0000-0000-0000-000000000000';

/** `{"id", "name", "links"}`, the element of GET /volumes. */
export function volumeSummary(
  vol: Pick<VolumeViewSource, 'id' | 'displayName'>,
  links: LinkBase,
): {
  id: string;
  name: string | null;
  links: Link[];
} {
  return { id: vol.id, name: vol.displayName, links: resourceLinks(links, 'volumes', vol.id) };
}

/** Options for {@link volumeDetail}. */
export interface VolumeDetailOptions {
  /**
   * Add the admin extension attributes (`os-vol-tenant-attr:tenant_id`, `os-vol-mig-status-attr:*`,
   * `os-vol-host-attr:host`) for an admin caller. Cinder adds them on show and detail lists only, not on
   * the create (202) or update responses. @default false
   */
  readonly extensionAttributes?: boolean;
}

/** The full volume object (without the `{"volume": …}` wrapper). */
export function volumeDetail(
  vol: VolumeViewSource,
  extras: VolumeViewExtras,
  ctx: VolumeViewContext,
  options: VolumeDetailOptions = {},
): Record<string, unknown> {
  const v = ctx.microversion;
  const can = (action: Parameters<typeof isAllowed>[1]): boolean => isAllowed(ctx, action, vol.projectId);
  const out: Record<string, unknown> = {
    id: vol.id,
    status: vol.status,
    size: vol.size,
    availability_zone: vol.availabilityZone,
    created_at: formatTimestamp(vol.createdAt),
    updated_at: formatTimestamp(vol.updatedAt),
    name: vol.displayName,
    description: vol.displayDescription,
    volume_type: extras.volumeTypeName,
    snapshot_id: vol.snapshotId,
    source_volid: vol.sourceVolid,
    metadata: { ...extras.metadata },
    links: resourceLinks(ctx.links, 'volumes', vol.id),
    user_id: vol.userId,
    bootable: String(vol.bootable).toLowerCase(),
    encrypted: vol.encryptionKeyId !== null,
    replication_status: vol.replicationStatus ?? null,
    consistencygroup_id: vol.consistencygroupId ?? null,
    multiattach: vol.multiattach,
    attachments: [...(extras.attachments ?? [])],
  };
  if (can('volume:migration_status')) out.migration_status = vol.migrationStatus;
  if (v.atLeast('3.13')) out.group_id = vol.groupId ?? null;
  if (v.atLeast('3.21') && can('volume:provider_id')) out.provider_id = vol.providerId ?? null;
  if (v.atLeast('3.48')) {
    out.shared_targets = vol.sharedTargets ?? vol.host === null;
    out.service_uuid = vol.serviceUuid ?? null;
  }
  if (v.atLeast('3.61') && can('volume:cluster_name')) out.cluster_name = vol.clusterName ?? null;
  if (v.atLeast('3.63')) out.volume_type_id = vol.volumeTypeId;
  if (v.atLeast('3.64') && vol.encryptionKeyId !== null && vol.encryptionKeyId !== FIXED_KEY_ID) {
    out.encryption_key_id = vol.encryptionKeyId;
  }
  if (v.atLeast('3.65')) out.consumes_quota = vol.useQuota ?? true;
  if (options.extensionAttributes === true) {
    if (can('volume_extension:volume_tenant_attribute')) out['os-vol-tenant-attr:tenant_id'] = vol.projectId;
    if (can('volume_extension:volume_mig_status_attribute')) {
      out['os-vol-mig-status-attr:migstat'] = vol.migrationStatus;
      out['os-vol-mig-status-attr:name_id'] = vol.nameId ?? null;
    }
    if (can('volume_extension:volume_host_attribute')) out['os-vol-host-attr:host'] = vol.host;
  }
  return out;
}

/** `{"volume": …}` for POST (202) and PUT responses: no extension attributes, as Cinder. */
export function volumeCreatedView(
  vol: VolumeViewSource,
  extras: VolumeViewExtras,
  ctx: VolumeViewContext,
): {
  volume: Record<string, unknown>;
} {
  return { volume: volumeDetail(vol, extras, ctx) };
}

/** `{"volume": …}` for GET /volumes/{id}: with the extension attributes. */
export function volumeShowView(
  vol: VolumeViewSource,
  extras: VolumeViewExtras,
  ctx: VolumeViewContext,
): {
  volume: Record<string, unknown>;
} {
  return { volume: volumeDetail(vol, extras, ctx, { extensionAttributes: true }) };
}

/** Paging facts a list view needs to decide on `volumes_links`. */
export interface ListPaging {
  /** The effective limit (given, else the max). */
  readonly limit: number;
  /** The request's query, as ordered pairs (see `queryPairs`). */
  readonly query: readonly (readonly [string, string])[];
  /** The caller's project (Cinder's next links carry it). */
  readonly contextProjectId: string;
  /** Total matching items, when `with_count=true` was asked at ≥ 3.45; adds `"count"`. */
  readonly count?: number | null;
}

function listBody(
  items: Record<string, unknown>[],
  ids: string[],
  links: LinkBase,
  collection: string,
  paging: ListPaging,
): Record<string, unknown> {
  const body: Record<string, unknown> = { volumes: items };
  const next = collectionLinks({
    hostUrl: links.hostUrl,
    contextProjectId: paging.contextProjectId,
    collection,
    query: paging.query,
    limit: paging.limit,
    ids,
    count: paging.count,
  });
  if (next.length > 0) body.volumes_links = next;
  if (paging.count !== undefined && paging.count !== null) body.count = paging.count;
  return body;
}

/** GET /volumes: `{"volumes": [summary…], "volumes_links"?: [...], "count"?: n}`. */
export function volumeSummaryList(
  vols: readonly Pick<VolumeViewSource, 'id' | 'displayName'>[],
  links: LinkBase,
  paging: ListPaging,
): Record<string, unknown> {
  return listBody(
    vols.map((v) => volumeSummary(v, links)),
    vols.map((v) => v.id),
    links,
    'volumes',
    paging,
  );
}

/** GET /volumes/detail: full objects with extension attributes. */
export function volumeDetailList(
  vols: readonly { readonly volume: VolumeViewSource; readonly extras: VolumeViewExtras }[],
  ctx: VolumeViewContext,
  paging: ListPaging,
): Record<string, unknown> {
  return listBody(
    vols.map(({ volume, extras }) => volumeDetail(volume, extras, ctx, { extensionAttributes: true })),
    vols.map(({ volume }) => volume.id),
    ctx.links,
    'volumes/detail',
    paging,
  );
}

/** GET /volumes/summary (3.12): `{"volume-summary": {"total_count", "total_size"}}` (3.36 adds metadata). */
export function volumeSummaryTotals(
  totalCount: number,
  totalSize: number,
  microversion: ApiVersion,
  metadata: Readonly<Record<string, readonly string[]>> = {},
): { 'volume-summary': Record<string, unknown> } {
  const summary: Record<string, unknown> = { total_count: totalCount, total_size: totalSize };
  if (microversion.atLeast('3.36')) summary.metadata = { ...metadata };
  return { 'volume-summary': summary };
}

/** `{"metadata": {...}}` (GET/POST/PUT /volumes/{id}/metadata). */
export function volumeMetadataView(metadata: Readonly<Record<string, string>>): {
  metadata: Record<string, string>;
} {
  return { metadata: { ...metadata } };
}

/** `{"meta": {"<key>": "<value>"}}` (GET/PUT /volumes/{id}/metadata/{key}). */
export function volumeMetadataItemView(key: string, value: string): { meta: Record<string, string> } {
  return { meta: Object.fromEntries([[key, value]]) as Record<string, string> };
}

/** `{"volume": …}` for PUT /volumes/{id}: the same shape as the create answer (no extension attributes). */
export const volumeUpdatedView = volumeCreatedView;
