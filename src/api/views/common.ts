/**
 * What every view builder shares: Cinder's timestamp format, resource links and collection "next"
 * links (with Python's urlencode, so hrefs match byte for byte).
 */
import type { Request } from 'express';

/** `2026-11-22T03:07:14.563989`: UTC, no zone, always six fractional digits (oslo's to_primitive). */
const CINDER_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

/**
 * Formats a timestamp as Cinder sends it. A Date has milliseconds, so it prints `.123000`; pass a
 * string already in the format (e.g. from {@link timestampNow}) to keep microseconds.
 */
export function formatTimestamp(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (CINDER_TIMESTAMP.test(value)) return value;
    const parsed = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`);
    if (Number.isNaN(parsed.getTime())) return value;
    return formatTimestamp(parsed);
  }
  const iso = value.toISOString(); // 2026-11-22T03:07:14.563Z
  return `${iso.slice(0, 23)}000`;
}

/** The current time in Cinder's format, with real microseconds (as the 202 of a create shows them). */
export function timestampNow(): string {
  const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  const date = new Date(Number(micros / 1000n));
  return `${date.toISOString().slice(0, 19)}.${String(micros % 1000000n).padStart(6, '0')}`;
}

/** Where links point: the server as the client reached it, and the project in the request URL. */
export interface LinkBase {
  /** `http://127.0.0.1:8776`, no trailing slash. */
  readonly hostUrl: string;
  /** The project in the URL; null for project-less URLs (`/v3/volumes`), whose links carry none. */
  readonly projectId: string | null;
}

/** The link base of a request (scheme and Host header as received). */
export function linkBaseFromRequest(req: Request, urlProjectId: string | null | undefined): LinkBase {
  return { hostUrl: `${req.protocol}://${req.get('host') ?? 'localhost'}`, projectId: urlProjectId ?? null };
}

/** A `{rel, href}` link. */
export interface Link {
  readonly rel: string;
  readonly href: string;
}

/**
 * `self` (`…/v3/{project}/{collection}/{id}`) and `bookmark` (the same without `/v3`), as Cinder's
 * ViewBuilder `_get_links`.
 */
export function resourceLinks(base: LinkBase, collection: string, id: string): Link[] {
  const project = base.projectId === null ? '' : `/${base.projectId}`;
  return [
    { rel: 'self', href: `${base.hostUrl}/v3${project}/${collection}/${id}` },
    { rel: 'bookmark', href: `${base.hostUrl}${project}/${collection}/${id}` },
  ];
}

/** Python's `urllib.parse.quote_plus`. */
export function quotePlus(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python's `urllib.parse.urlencode` of ordered pairs. */
export function urlencode(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
}

/** The query of a request as ordered pairs, decoded (repeated keys kept). */
export function queryPairs(req: Request): [string, string][] {
  const i = req.originalUrl.indexOf('?');
  if (i < 0) return [];
  return [...new URLSearchParams(req.originalUrl.slice(i + 1)).entries()];
}

/**
 * Cinder's `_get_collection_links`: a `next` link when the page is full — `limit <= (count ?? items)`
 * with at least one item. The href is `{host}/v3/{caller's project}/{collection}?{query with marker
 * replaced by the last id}` (Cinder puts the context's project there, even for project-less URLs).
 */
export function collectionLinks(opts: {
  readonly hostUrl: string;
  readonly contextProjectId: string;
  /** e.g. 'volumes', 'volumes/detail', 'snapshots/detail'. */
  readonly collection: string;
  readonly query: readonly (readonly [string, string])[];
  readonly limit: number;
  readonly ids: readonly string[];
  readonly count?: number | null;
}): Link[] {
  const itemCount =
    opts.count !== undefined && opts.count !== null && opts.count > 0 ? opts.count : opts.ids.length;
  const last = opts.ids[opts.ids.length - 1];
  if (last === undefined || opts.limit > itemCount) return [];
  const params = [...opts.query.filter(([k]) => k !== 'marker'), ['marker', last] as const];
  return [
    {
      rel: 'next',
      href: `${opts.hostUrl}/v3/${opts.contextProjectId}/${opts.collection}?${urlencode(params)}`,
    },
  ];
}

/** The minimal response surface the helpers below need (an express Response fits). */
interface EmptyResponse {
  status(code: number): EmptyResponse;
  setHeader(name: string, value: string): unknown;
  removeHeader(name: string): void;
  end(): unknown;
}

/**
 * An empty 202, as Cinder answers DELETE /volumes/{id}: `Content-Type: text/html; charset=UTF-8`,
 * `Content-Length: 0`, and no `X-Compute-Request-Id`.
 */
export function sendAcceptedEmpty(res: EmptyResponse): void {
  res.removeHeader('X-Compute-Request-Id');
  res.setHeader('Content-Type', 'text/html; charset=UTF-8');
  res.setHeader('Content-Length', '0');
  res.status(202).end();
}

/** An empty 200 with `Content-Type: application/json`, as Cinder answers DELETE /os-quota-sets/{project}. */
export function sendOkEmpty(res: EmptyResponse): void {
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', '0');
  res.status(200).end();
}
