/**
 * Quota views: os-quota-sets (show, ?usage=true, defaults, update), os-quota-class-sets and limits.
 * Keys come out in the order given; `quotaResourceNames()` (validation/quota-sets) gives Cinder's.
 */

/** One quota resource: its limit and, for `?usage=true`, what is used and reserved. */
export interface QuotaResourceView {
  readonly name: string;
  readonly limit: number;
  readonly inUse?: number;
  readonly reserved?: number;
}

/**
 * `{"quota_set": {"volumes": 10, …, "id": "<project>"}}`; with `usage`, each value becomes
 * `{"limit", "in_use", "reserved"}`. `id` null leaves it out (the PUT answer has none).
 */
export function quotaSetView(
  id: string | null,
  resources: readonly QuotaResourceView[],
  options: { readonly usage?: boolean } = {},
): { quota_set: Record<string, unknown> } {
  const set: Record<string, unknown> = {};
  for (const r of resources) {
    set[r.name] =
      options.usage === true ? { limit: r.limit, in_use: r.inUse ?? 0, reserved: r.reserved ?? 0 } : r.limit;
  }
  if (id !== null) set.id = id;
  return { quota_set: set };
}

/** GET /os-quota-class-sets/{class}: `{"quota_class_set": {…, "id": "default"}}`. */
export function quotaClassSetView(
  className: string,
  resources: readonly QuotaResourceView[],
): {
  quota_class_set: Record<string, unknown>;
} {
  const set: Record<string, unknown> = {};
  for (const r of resources) set[r.name] = r.limit;
  set.id = className;
  return { quota_class_set: set };
}

/** The project-wide figures GET /limits reports. */
export interface AbsoluteLimitsSource {
  readonly volumes: { readonly limit: number; readonly inUse: number };
  readonly snapshots: { readonly limit: number; readonly inUse: number };
  readonly gigabytes: { readonly limit: number; readonly inUse: number };
  readonly backups: { readonly limit: number; readonly inUse: number };
  readonly backupGigabytes: { readonly limit: number; readonly inUse: number };
}

/** GET /limits: `{"limits": {"rate": [], "absolute": {…}}}` in Cinder's key order. */
export function limitsView(q: AbsoluteLimitsSource): {
  limits: { rate: never[]; absolute: Record<string, number> };
} {
  return {
    limits: {
      rate: [],
      absolute: {
        maxTotalVolumes: q.volumes.limit,
        maxTotalSnapshots: q.snapshots.limit,
        maxTotalVolumeGigabytes: q.gigabytes.limit,
        maxTotalBackups: q.backups.limit,
        maxTotalBackupGigabytes: q.backupGigabytes.limit,
        totalVolumesUsed: q.volumes.inUse,
        totalGigabytesUsed: q.gigabytes.inUse,
        totalSnapshotsUsed: q.snapshots.inUse,
        totalBackupsUsed: q.backups.inUse,
        totalBackupGigabytesUsed: q.backupGigabytes.inUse,
      },
    },
  };
}
