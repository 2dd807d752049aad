/**
 * PUT /os-quota-sets/{project} validation: Cinder's schema plus its 'quota_set' format checker
 * (unknown keys → "Invalid input received: Bad key(s) in quota set: …"; values through oslo's
 * validate_integer → "volumes must be an integer", "volumes must be >= -1").
 */
import { BadRequestParameterError, InvalidInputError } from '../errors';
import { SchemaValidator } from './json-schema';
import { DB_MAX_INT, FORMATS } from './parameter-types';
import { pyIntFromStr } from './pyrepr';
import * as s from './schemas';

/** Keys Cinder accepts in a quota set without treating them as quotas. */
export const NON_QUOTA_KEYS: readonly string[] = ['tenant_id', 'id'];

/** The project-wide quota resources, in Cinder's display order (per-type keys follow `backup_gigabytes`). */
export const BASE_QUOTA_RESOURCES = [
  'volumes',
  'per_volume_gigabytes',
  'snapshots',
  'gigabytes',
  'backups',
  'backup_gigabytes',
] as const;
/** Group quotas (a separate QUOTAS engine in Cinder, shown last). */
export const GROUP_QUOTA_RESOURCES = ['groups'] as const;

/**
 * Every quota key Cinder shows for these volume types, in its order:
 * volumes, per_volume_gigabytes, snapshots, gigabytes, backups, backup_gigabytes,
 * then volumes_<t>, gigabytes_<t>, snapshots_<t> per type, then groups.
 */
export function quotaResourceNames(volumeTypeNames: readonly string[]): string[] {
  return [
    ...BASE_QUOTA_RESOURCES,
    ...volumeTypeNames.flatMap((t) => [`volumes_${t}`, `gigabytes_${t}`, `snapshots_${t}`]),
    ...GROUP_QUOTA_RESOURCES,
  ];
}

/** oslo.utils `validate_integer`, with Cinder's webob 400 wording. */
export function validateInteger(
  value: unknown,
  name: string,
  min: number | null,
  max: number | null,
): number {
  const n = pyIntFromStr(value);
  if (n === null) throw new BadRequestParameterError(name, `${name} must be an integer`);
  if (min !== null && n < min) throw new BadRequestParameterError(name, `${name} must be >= ${min}`);
  if (max !== null && n > max) throw new BadRequestParameterError(name, `${name} must be <= ${max}`);
  return n;
}

/**
 * Validates a quota-set update against the quota keys that exist (see {@link quotaResourceNames}).
 * @returns the new limits by resource name (`id`/`tenant_id` dropped), in request order
 */
export function validateQuotaSetUpdate(
  body: unknown,
  quotaKeys: ReadonlySet<string> | readonly string[],
): Readonly<Record<string, number>> {
  const keys = quotaKeys instanceof Set ? quotaKeys : new Set(quotaKeys as readonly string[]);
  const limits: [string, number][] = [];
  const validator = new SchemaValidator(s.quotaSetUpdate, {
    ...FORMATS,
    quota_set: (v) => {
      const bad: string[] = [];
      for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
        if (!keys.has(key) && !NON_QUOTA_KEYS.includes(key)) {
          bad.push(key);
          continue;
        }
        if (NON_QUOTA_KEYS.includes(key)) continue;
        limits.push([key, validateInteger(value, key, -1, DB_MAX_INT)]);
      }
      if (bad.length > 0) throw new InvalidInputError(`Bad key(s) in quota set: ${bad.join(', ')}`);
      return true;
    },
  });
  validator.validate(body);
  return Object.fromEntries(limits);
}
