/**
 * Microversion negotiation (`OpenStack-API-Version: volume X.Y`), as Cinder 21 does it:
 * no header → 3.0; `latest` → the maximum; `volume 3` → 400 InvalidAPIVersionString (no version
 * headers on that response); out of range → 406 InvalidGlobalAPIVersion (the response still echoes the
 * requested version). Every response that negotiated a version carries `OpenStack-API-Version`,
 * `Vary: OpenStack-API-Version` and `X-Compute-Request-Id` (routes answering an empty 202, such as
 * DELETE, remove the latter, as Cinder sends none there).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MAX_API_VERSION as MAX_VERSION_TEXT, MIN_API_VERSION as MIN_VERSION_TEXT } from '../routes/versions';
import {
  InvalidAPIVersionHeaderError,
  InvalidAPIVersionString,
  InvalidGlobalAPIVersion,
  VersionNotFoundForAPIMethod,
} from '../errors';

/** The header, as Cinder names it. */
export const API_VERSION_HEADER = 'OpenStack-API-Version';
/** The service type this API answers for in the header. */
export const VOLUME_SERVICE = 'volume';

/** A parsed `Major.Minor` microversion. Immutable; compare with {@link ApiVersion.compare}. */
export class ApiVersion {
  private constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  /**
   * Parses "3.53". Throws {@link InvalidAPIVersionString} unless the text is MajorNum.MinorNum
   * (no leading zeros, major ≥ 1), as Cinder's APIVersionRequest.
   * @example ApiVersion.parse('3.70').minor // 70
   */
  static parse(text: string): ApiVersion {
    const m = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(text);
    if (m === null) throw new InvalidAPIVersionString(text);
    return new ApiVersion(Number(m[1]), Number(m[2]));
  }

  /** Negative, zero or positive as this is lower than, equal to or higher than `other`. */
  compare(other: ApiVersion | string): number {
    const o = typeof other === 'string' ? ApiVersion.parse(other) : other;
    return this.major !== o.major ? this.major - o.major : this.minor - o.minor;
  }

  /** True when `min <= this <= max`; a missing bound is open. */
  matches(min?: ApiVersion | string | null, max?: ApiVersion | string | null): boolean {
    if (min !== undefined && min !== null && this.compare(min) < 0) return false;
    if (max !== undefined && max !== null && this.compare(max) > 0) return false;
    return true;
  }

  /** True when this is at least `version` (the usual "field appears from 3.X" test). */
  atLeast(version: ApiVersion | string): boolean {
    return this.compare(version) >= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/** The lowest microversion served (the versions document's `min_version`). */
export const MIN_API_VERSION = ApiVersion.parse(MIN_VERSION_TEXT);
/** The highest microversion served: what `latest` means and what GET / advertises as `version`. */
export const MAX_API_VERSION = ApiVersion.parse(MAX_VERSION_TEXT);

const VERSION_KEY = Symbol('cinder.microversion');
type WithVersion = Request & { [VERSION_KEY]?: ApiVersion };

/**
 * Picks the volume entry out of an `OpenStack-API-Version` value ("volume 3.5, compute 2.1").
 * Returns null when no entry names the volume service.
 */
export function volumeVersionFromHeader(header: string): string | null {
  for (const part of header.split(',')) {
    const m = /^\s*(\S+)\s+(\S.*?)\s*$/.exec(part);
    if (m !== null && (m[1] ?? '').toLowerCase() === VOLUME_SERVICE) return m[2] ?? null;
  }
  return null;
}

/**
 * Resolves the header value (undefined when absent) to a version within [min, max].
 * Throws InvalidAPIVersionHeaderError, InvalidAPIVersionString or InvalidGlobalAPIVersion.
 */
export function negotiateVersion(
  header: string | undefined,
  min: ApiVersion = MIN_API_VERSION,
  max: ApiVersion = MAX_API_VERSION,
): ApiVersion {
  if (header === undefined) return min;
  const text = volumeVersionFromHeader(header);
  if (text === null) throw new InvalidAPIVersionHeaderError(header);
  if (text.toLowerCase() === 'latest') return max;
  const version = ApiVersion.parse(text);
  if (!version.matches(min, max)) {
    throw new InvalidGlobalAPIVersion(version.toString(), min.toString(), max.toString());
  }
  return version;
}

/**
 * Sets the headers of an API resource response: `OpenStack-API-Version: volume X.Y`,
 * `Vary: OpenStack-API-Version` and the legacy `X-Compute-Request-Id` (the request id again).
 */
export function setMicroversionHeaders(res: Response, version: ApiVersion): void {
  res.setHeader(API_VERSION_HEADER, `${VOLUME_SERVICE} ${version.toString()}`);
  res.setHeader('Vary', API_VERSION_HEADER);
  const requestId = (res.locals as { requestId?: unknown }).requestId;
  if (typeof requestId === 'string') res.setHeader(COMPUTE_REQUEST_ID_HEADER, requestId);
}

/** The legacy request id header API resources repeat the id in. */
export const COMPUTE_REQUEST_ID_HEADER = 'X-Compute-Request-Id';

/**
 * Removes the microversion headers again (`OpenStack-API-Version`, `Vary`), for responses Cinder sends
 * without them: version-header errors, and anything rendered outside the API resource layer.
 */
export function clearMicroversionHeaders(res: Response): void {
  res.removeHeader(API_VERSION_HEADER);
  res.removeHeader('Vary');
}

/** Options for {@link microversion}. */
export interface MicroversionOptions {
  /** @default MIN_API_VERSION */
  readonly min?: ApiVersion;
  /** @default MAX_API_VERSION */
  readonly max?: ApiVersion;
}

/**
 * Middleware: negotiates the microversion, stores it for {@link getMicroversion} and sets the
 * response headers. Errors go to `next(err)` for the fault table.
 */
export function microversion(options: MicroversionOptions = {}): RequestHandler {
  const min = options.min ?? MIN_API_VERSION;
  const max = options.max ?? MAX_API_VERSION;
  return (req: Request, res: Response, next: NextFunction): void => {
    const raw = req.headers['openstack-api-version'];
    const header = Array.isArray(raw) ? raw.join(',') : raw;
    try {
      const version = negotiateVersion(header, min, max);
      (req as WithVersion)[VERSION_KEY] = version;
      setMicroversionHeaders(res, version);
      next();
    } catch (err) {
      if (err instanceof InvalidGlobalAPIVersion) {
        // Cinder echoes the (normalized) requested version on the 406 …
        setMicroversionHeaders(res, ApiVersion.parse(err.requested));
      } else {
        // … but sends no version headers when the header itself could not be read.
        clearMicroversionHeaders(res);
      }
      next(err);
    }
  };
}

/** The negotiated version of this request, or undefined when {@link microversion} did not run. */
export function findMicroversion(req: Request): ApiVersion | undefined {
  return (req as WithVersion)[VERSION_KEY];
}

/** The negotiated version of this request; throws if the {@link microversion} middleware is not mounted. */
export function getMicroversion(req: Request): ApiVersion {
  const v = findMicroversion(req);
  if (v === undefined) throw new Error('microversion() middleware is not mounted in front of this route');
  return v;
}

/**
 * Middleware for a route that exists only from (or up to) some microversion, e.g. GET /volumes/summary
 * from 3.12: other versions get Cinder's 404 "API version 3.0 is not supported on this method."
 */
export function requireMicroversion(min: ApiVersion | string, max?: ApiVersion | string): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction): void => {
    try {
      assertMicroversion(getMicroversion(req), min, max);
    } catch (err) {
      next(err);
      return;
    }
    next();
  };
}

/**
 * The same check inside a handler, where the version's bounds depend on the request (an action of a
 * shared `…/action` route): throws Cinder's 404 "API version 3.0 is not supported on this method."
 */
export function assertMicroversion(v: ApiVersion, min: ApiVersion | string, max?: ApiVersion | string): void {
  if (!v.matches(min, max ?? null)) throw new VersionNotFoundForAPIMethod(v.toString());
}
