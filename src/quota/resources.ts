import { InvalidQuotaValueError, UnknownQuotaResourceError } from './errors';

/**
 * Cinder's project-wide resources, in the order Cinder lists them in a quota set
 * (per-type resources go between `backup_gigabytes` and `groups`).
 */
export const BASE_RESOURCES = [
  'volumes',
  'per_volume_gigabytes',
  'snapshots',
  'gigabytes',
  'backups',
  'backup_gigabytes',
  'groups',
] as const;
export type BaseResource = (typeof BASE_RESOURCES)[number];

/** Resources that are limits only and can never be reserved. */
export const LIMIT_ONLY_RESOURCES: ReadonlySet<string> = new Set(['per_volume_gigabytes']);

/** Prefixes of the per-volume-type resources: `volumes_<type>`, `gigabytes_<type>`, `snapshots_<type>`. */
export const PER_TYPE_PREFIXES = ['volumes_', 'gigabytes_', 'snapshots_'] as const;

/** Used when the `default` quota class has no row for a base resource (Cinder's config defaults). */
export const FALLBACK_DEFAULTS: Readonly<Record<BaseResource, number>> = Object.freeze({
  volumes: 10,
  per_volume_gigabytes: -1,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
});

/** Default limit of a per-volume-type resource with no quota class row: unlimited, as in Cinder. */
export const PER_TYPE_DEFAULT = -1;

export function isBaseResource(resource: string): resource is BaseResource {
  return (BASE_RESOURCES as readonly string[]).includes(resource);
}

/** The volume type name of a per-type resource (`gigabytes_ssd` → `ssd`), or null. */
export function perTypeName(resource: string): string | null {
  for (const prefix of PER_TYPE_PREFIXES) {
    if (resource.startsWith(prefix) && resource.length > prefix.length) return resource.slice(prefix.length);
  }
  return null;
}

/** The per-type resources of one volume type, in Cinder's order. */
export function perTypeResources(typeName: string): string[] {
  return PER_TYPE_PREFIXES.map((p) => `${p}${typeName}`);
}

/**
 * Cinder's `add_volume_type_opts`: mirrors `volumes`, `gigabytes` and `snapshots` deltas onto the
 * type's own resources. Returns a new object.
 * @example volumeTypeDeltas('ssd', { volumes: 1, gigabytes: 5 }) // { volumes: 1, gigabytes: 5, volumes_ssd: 1, gigabytes_ssd: 5 }
 */
export function volumeTypeDeltas(
  typeName: string,
  deltas: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = { ...deltas };
  for (const base of ['volumes', 'gigabytes', 'snapshots'] as const) {
    const delta = deltas[base];
    if (delta !== undefined) out[`${base}_${typeName}`] = delta;
  }
  return out;
}

/** Validates reservation deltas: known reservable resources, integer values. Drops zero deltas. */
export function validateDeltas(deltas: Readonly<Record<string, number>>): Array<[string, number]> {
  if (deltas === null || typeof deltas !== 'object')
    throw new InvalidQuotaValueError('deltas', deltas, 'an object');
  const unknown: string[] = [];
  const out: Array<[string, number]> = [];
  for (const [resource, delta] of Object.entries(deltas)) {
    const reservable =
      resource.length <= 255 &&
      ((isBaseResource(resource) && !LIMIT_ONLY_RESOURCES.has(resource)) || perTypeName(resource) !== null);
    if (!reservable) {
      unknown.push(resource);
      continue;
    }
    if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) {
      throw new InvalidQuotaValueError(resource, delta, 'an integer');
    }
    if (delta !== 0) out.push([resource, delta]);
  }
  if (unknown.length > 0) throw new UnknownQuotaResourceError(unknown.sort());
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Validates a limit: an integer, -1 (unlimited) or more. */
export function validateLimit(resource: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -1) {
    throw new InvalidQuotaValueError(resource, value, 'an integer of -1 (unlimited) or more');
  }
  return value;
}
