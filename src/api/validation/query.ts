/**
 * List query parameters, as Cinder's `api.common` parses them: pagination (`limit`, `marker`,
 * `offset`) and sorting (`sort=key:dir,…` or the legacy `sort_key`/`sort_dir`), with Cinder's messages.
 */
import { BadRequestParameterError, InvalidInputError } from '../errors';
import { DB_MAX_INT } from './parameter-types';
import { pyIntFromStr } from './pyrepr';
import { validateInteger } from './quota-sets';

/** A parsed query string: express gives strings, arrays for repeated keys, or nested objects. */
export type QueryParams = Readonly<Record<string, unknown>>;

/** CONF.osapi_max_limit. */
export const OSAPI_MAX_LIMIT = 1000;

/** The value of a query parameter (the last one when repeated), or undefined. */
export function queryParam(query: QueryParams, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    const last: unknown = v[v.length - 1];
    return typeof last === 'string' ? last : undefined;
  }
  return typeof v === 'string' ? v : undefined;
}

/** Pagination as Cinder reads it. `limit` defaults to (and is capped at) {@link OSAPI_MAX_LIMIT}. */
export interface Pagination {
  readonly limit: number;
  /** True when the request named a limit (so `volumes_links` may be due). */
  readonly limitGiven: boolean;
  readonly marker: string | null;
  readonly offset: number;
}

/**
 * Parses `limit`, `marker`, `offset`.
 * @throws BadRequestParameterError "limit param must be an integer" / "limit param must be positive" /
 *   "offset must be an integer" …
 */
export function parsePagination(query: QueryParams, maxLimit: number = OSAPI_MAX_LIMIT): Pagination {
  const rawLimit = queryParam(query, 'limit');
  let limit = maxLimit;
  if (rawLimit !== undefined) {
    const n = pyIntFromStr(rawLimit);
    if (n === null) throw new BadRequestParameterError('limit', 'limit param must be an integer');
    if (n < 0) throw new BadRequestParameterError('limit', 'limit param must be positive');
    limit = Math.min(n, maxLimit);
  }
  const rawOffset = queryParam(query, 'offset');
  const offset = rawOffset === undefined ? 0 : validateInteger(rawOffset, 'offset', 0, DB_MAX_INT);
  return { limit, limitGiven: rawLimit !== undefined, marker: queryParam(query, 'marker') ?? null, offset };
}

/** Sort keys and directions, parallel arrays as Cinder keeps them. */
export interface SortSpec {
  readonly keys: readonly string[];
  readonly dirs: readonly ('asc' | 'desc')[];
}

/**
 * Parses `sort=size:desc,created_at` or `sort_key`/`sort_dir` (default `created_at:desc`) and checks
 * each pair: direction first ("Unknown sort direction, must be 'desc' or 'asc'."), then the key
 * ("Invalid sort key") against `allowedKeys`.
 */
export function parseSort(
  query: QueryParams,
  allowedKeys: readonly string[],
  defaultKey = 'created_at',
  defaultDir = 'desc',
): SortSpec {
  const sort = queryParam(query, 'sort');
  let keys: string[];
  let dirs: string[];
  if (sort !== undefined && sort !== '') {
    if (query.sort_key !== undefined || query.sort_dir !== undefined) {
      throw new BadRequestParameterError(
        'sort',
        "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
      );
    }
    keys = [];
    dirs = [];
    for (const part of sort.trim().split(',')) {
      const i = part.indexOf(':');
      const key = i < 0 ? part : part.slice(0, i);
      const dir = i < 0 ? '' : part.slice(i + 1);
      keys.push(key.trim());
      dirs.push(dir.trim() === '' ? defaultDir : dir.trim());
    }
  } else {
    keys = [queryParam(query, 'sort_key') ?? defaultKey];
    dirs = [queryParam(query, 'sort_dir') ?? defaultDir];
  }
  keys.forEach((key, i) => {
    const dir = dirs[i];
    if (dir !== 'asc' && dir !== 'desc')
      throw new InvalidInputError("Unknown sort direction, must be 'desc' or 'asc'.");
    if (!allowedKeys.includes(key)) throw new InvalidInputError('Invalid sort key');
  });
  return { keys, dirs: dirs as ('asc' | 'desc')[] };
}

/** The columns Cinder lets a volume list sort by (`name` is accepted for `display_name`). */
export const VOLUME_SORT_KEYS: readonly string[] = [
  'id',
  'name',
  'display_name',
  'display_description',
  'description',
  'size',
  'status',
  'created_at',
  'updated_at',
  'availability_zone',
  'volume_type_id',
  'user_id',
  'project_id',
  'bootable',
  'host',
  'attach_status',
  'migration_status',
  'replication_status',
  'consistencygroup_id',
  'group_id',
  'snapshot_id',
  'source_volid',
];

/**
 * Cinder's bool query parameters (`with_count`, `all_tenants`, `cascade`, `usage`): true for
 * 1/t/true/on/y/yes (any case), false otherwise.
 */
export function queryFlag(query: QueryParams, name: string): boolean {
  const v = queryParam(query, name);
  return v !== undefined && ['1', 't', 'true', 'on', 'y', 'yes'].includes(v.trim().toLowerCase());
}
