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

/** Parameters of a list request that are not filters. */
const NON_FILTER_PARAMS = new Set([
  'marker',
  'limit',
  'offset',
  'sort',
  'sort_key',
  'sort_dir',
  'with_count',
  'all_tenants',
  'is_public',
]);

/** Filters anyone may use on a volume list (Cinder's default `query_volume_filters`). */
export const VOLUME_FILTERS_FOR_ALL: readonly string[] = [
  'name',
  'status',
  'metadata',
  'bootable',
  'migration_status',
  'availability_zone',
  'group_id',
  'size',
  'created_at',
  'updated_at',
];
/** Further volume columns an admin may filter on. */
export const VOLUME_FILTERS_FOR_ADMIN: readonly string[] = [
  'id',
  'project_id',
  'user_id',
  'host',
  'volume_type_id',
  'snapshot_id',
  'source_volid',
  'display_name',
  'display_description',
  'attach_status',
  'replication_status',
  'consistencygroup_id',
  'encryption_key_id',
];

/** A parsed volume list query. */
export interface VolumeListQuery {
  readonly pagination: Pagination;
  readonly sort: SortSpec;
  /**
   * Equality filters by column (`name` is given as `display_name`), strings as sent, except `bootable`
   * (boolean) and `metadata` (every pair must match).
   */
  readonly filters: Readonly<Record<string, string | boolean>>;
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Admin with `all_tenants=1`: every project's volumes. Ignored for others, as Cinder. */
  readonly allTenants: boolean;
  /** `with_count=true` at 3.45 or later. */
  readonly withCount: boolean;
  /**
   * An admin filtered on something that is not a volume column: Cinder answers an empty list (members'
   * unknown filters are dropped instead).
   */
  readonly matchesNothing: boolean;
}

/**
 * Parses Cinder's `?metadata={'env': 'test'}` (a Python dict literal of strings; JSON also accepted).
 * @throws InvalidInputError for anything else
 */
export function parseMetadataFilter(text: string): Record<string, string> {
  const bad = (): InvalidInputError =>
    new InvalidInputError(`metadata filter must be a dict of strings, such as {'key': 'value'}: ${text}`);
  const entries: [string, string][] = [];
  const str = String.raw`'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"`;
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) throw bad();
  const inner = body.slice(1, -1).trim();
  if (inner === '') return {};
  const pair = new RegExp(String.raw`^\s*(${str})\s*:\s*(${str})\s*(,|$)`);
  let rest = inner;
  while (rest.trim() !== '') {
    const m = pair.exec(rest);
    if (m === null) throw bad();
    const unquote = (q: string): string => q.slice(1, -1).replace(/\\(.)/g, '$1');
    entries.push([unquote(m[1] ?? ''), unquote(m[2] ?? '')]);
    rest = rest.slice(m[0].length);
  }
  return Object.fromEntries(entries);
}

/**
 * Parses GET /volumes and /volumes/detail query strings as Cinder does for this caller: pagination,
 * sort, filters (members' unknown filters dropped; an admin's unknown filter matches nothing),
 * `all_tenants` (admin only) and `with_count` (3.45+).
 */
export function parseVolumeListQuery(
  query: QueryParams,
  caller: { readonly isAdmin: boolean; readonly microversion: { atLeast(v: string): boolean } },
): VolumeListQuery {
  const pagination = parsePagination(query);
  const sort = parseSort(query, VOLUME_SORT_KEYS);
  const filters: Record<string, string | boolean> = {};
  let metadata: Record<string, string> | null = null;
  let matchesNothing = false;
  const unknown: string[] = [];
  for (const key of Object.keys(query)) {
    if (NON_FILTER_PARAMS.has(key)) continue;
    const value = queryParam(query, key);
    const known =
      VOLUME_FILTERS_FOR_ALL.includes(key) || (caller.isAdmin && VOLUME_FILTERS_FOR_ADMIN.includes(key));
    if (!known) {
      // Cinder: an admin's filter goes to the database, where a key that is no volume column matches no
      // row; a member's is dropped, and from 3.33 (resource filters) refused.
      if (caller.isAdmin) matchesNothing = true;
      else if (caller.microversion.atLeast('3.33')) unknown.push(key);
      continue;
    }
    if (value === undefined) continue;
    if (key === 'metadata') metadata = parseMetadataFilter(value);
    else if (key === 'bootable')
      filters.bootable = ['1', 't', 'true', 'on', 'y', 'yes'].includes(value.toLowerCase());
    else if (key === 'name') filters.display_name = value;
    else filters[key] = value;
  }
  if (unknown.length > 0) {
    throw invalidFiltersError(unknown);
  }
  return {
    pagination,
    sort,
    filters,
    metadata,
    allTenants: caller.isAdmin && queryFlag(query, 'all_tenants'),
    withCount: caller.microversion.atLeast('3.45') && queryFlag(query, 'with_count'),
    matchesNothing,
  };
}

/** Cinder's refusal of list filters a caller may not use (from 3.33, resource filters). */
export function invalidFiltersError(keys: readonly string[]): BadRequestParameterError {
  return new BadRequestParameterError(
    keys.join(','),
    `Invalid filters ${keys.join(',')} are found in query options.`,
  );
}
