/**
 * The volume FilterScheduler (Cinder's `filter_scheduler.FilterScheduler`): takes the backend states,
 * keeps those that pass every filter (RetryFilter, AvailabilityZoneFilter, CapabilitiesFilter on the
 * volume type's `volume_backend_name` and `capabilities:*` extra specs, CapacityFilter), weighs the rest
 * by free capacity (CapacityWeigher, most free first) and consumes the winner's space.
 */
import { InvalidRpcMessageError } from '../rpc/errors';
import { NoValidBackendError } from './errors';
import type { BackendState, VolumeHostManager } from './host-manager';

/** Cinder's `filter_properties['retry']`. */
export interface RetryInfo {
  /** Attempts made so far, the one being scheduled included. */
  readonly num_attempts: number;
  /** Backends (`host@backend#pool`) tried so far. */
  readonly hosts: readonly string[];
  /** Why the last attempt failed, when a volume service rescheduled. */
  readonly exc?: string;
}

/** What the scheduler reads from Cinder's request spec. */
export interface VolumePlacementRequest {
  readonly volumeId: string;
  readonly sizeGb: number;
  readonly availabilityZone: string | null;
  readonly extraSpecs: Readonly<Record<string, string | null>>;
  /**
   * Cinder's `request_spec['resource_backend']`: the only backend (`host@backend`) the volume may go to,
   * set for a volume from a snapshot or a clone (its origin lives there). @default null (any)
   */
  readonly resourceBackend?: string | null;
}

export interface Selection {
  readonly backend: BackendState;
  /** The filter properties to send on, with the retry info updated (attempt counted, backend added). */
  readonly filterProperties: Record<string, unknown>;
}

/** Reads the fields the scheduler needs out of a request spec; a malformed one is InvalidRpcMessageError. */
export function placementOf(volumeId: string, requestSpec: Record<string, unknown>): VolumePlacementRequest {
  if (typeof volumeId !== 'string' || volumeId === '')
    throw new InvalidRpcMessageError('create_volume needs a volumeId');
  if (requestSpec === null || typeof requestSpec !== 'object')
    throw new InvalidRpcMessageError('create_volume needs a requestSpec object');
  const props = (requestSpec['volume_properties'] ?? {}) as Record<string, unknown>;
  const size = requestSpec['size'] ?? props['size'];
  if (!Number.isSafeInteger(size) || (size as number) < 1)
    throw new InvalidRpcMessageError('request spec size must be a positive integer');
  const az = requestSpec['availability_zone'] ?? props['availability_zone'] ?? null;
  if (az !== null && typeof az !== 'string')
    throw new InvalidRpcMessageError('request spec availability_zone must be a string');
  const type = requestSpec['volume_type'];
  const extra =
    type !== null && typeof type === 'object' ? ((type as Record<string, unknown>)['extra_specs'] ?? {}) : {};
  if (extra === null || typeof extra !== 'object')
    throw new InvalidRpcMessageError('volume_type.extra_specs must be an object');
  const resourceBackend = requestSpec['resource_backend'] ?? null;
  if (resourceBackend !== null && typeof resourceBackend !== 'string')
    throw new InvalidRpcMessageError('request spec resource_backend must be a string');
  return {
    volumeId,
    sizeGb: size as number,
    availabilityZone: az,
    extraSpecs: extra as Record<string, string | null>,
    resourceBackend,
  };
}

function retryOf(filterProperties: Record<string, unknown>): RetryInfo {
  const r = filterProperties['retry'];
  if (r === undefined || r === null) return { num_attempts: 0, hosts: [] };
  const o = r as Record<string, unknown>;
  const n = o['num_attempts'];
  const hosts = o['hosts'];
  if (
    !Number.isSafeInteger(n) ||
    (n as number) < 0 ||
    !Array.isArray(hosts) ||
    hosts.some((h) => typeof h !== 'string')
  ) {
    throw new InvalidRpcMessageError('filter_properties.retry must be {num_attempts, hosts}');
  }
  return {
    num_attempts: n as number,
    hosts: hosts as string[],
    ...(typeof o['exc'] === 'string' ? { exc: o['exc'] } : {}),
  };
}

/** Cinder's extra-spec matching: `<op> value` forms for the few operators it supports, else equality. */
function specMatches(actual: unknown, wanted: string | null): boolean {
  if (wanted === null) return true;
  const m = /^(<is>|<in>|>=|<=|==|=|!=)\s*(.*)$/.exec(wanted.trim());
  if (m === null) return String(actual) === wanted;
  const [, op, v] = m as unknown as [string, string, string];
  switch (op) {
    case '<is>':
      return String(actual).toLowerCase() === v.trim().toLowerCase();
    case '<in>':
      return String(actual).includes(v.trim());
    case '>=':
      return Number(actual) >= Number(v);
    case '<=':
      return Number(actual) <= Number(v);
    case '!=':
      return String(actual) !== v.trim();
    default:
      return Number.isFinite(Number(v)) ? Number(actual) === Number(v) : String(actual) === v.trim();
  }
}

export interface VolumeFilterSchedulerOptions {
  /** Cinder's `scheduler_max_attempts`. @default 3 */
  readonly maxAttempts?: number;
}

export class VolumeFilterScheduler {
  readonly maxAttempts: number;

  constructor(
    readonly hostManager: VolumeHostManager,
    options: VolumeFilterSchedulerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isSafeInteger(this.maxAttempts) || this.maxAttempts < 1)
      throw new TypeError('maxAttempts must be a positive integer');
  }

  /**
   * Picks a backend for one volume and consumes its space.
   * @throws NoValidBackendError when the attempts are used up or no backend passes the filters.
   */
  async selectBackend(
    request: VolumePlacementRequest,
    filterProperties: Record<string, unknown>,
  ): Promise<Selection> {
    const retry = retryOf(filterProperties);
    const attempt = retry.num_attempts + 1;
    if (attempt > this.maxAttempts) {
      throw new NoValidBackendError(
        `Exceeded max scheduling attempts ${this.maxAttempts} for resource ${request.volumeId}` +
          (retry.exc !== undefined ? `; last error: ${retry.exc}` : ''),
      );
    }
    const states = await this.hostManager.getAllBackendStates();
    let candidates = states;
    const removed: string[] = [];
    const apply = (name: string, keep: (s: BackendState) => boolean): void => {
      const next = candidates.filter(keep);
      if (next.length < candidates.length) removed.push(`${name} removed ${candidates.length - next.length}`);
      candidates = next;
    };
    const tried = new Set(retry.hosts);
    apply('RetryFilter', (s) => !tried.has(s.hostWithPool) && !tried.has(s.backend));
    const pinned = request.resourceBackend ?? null;
    if (pinned !== null) apply('ResourceBackend', (s) => s.backend === pinned);
    if (request.availabilityZone !== null)
      apply('AvailabilityZoneFilter', (s) => s.availabilityZone === request.availabilityZone);
    apply('CapabilitiesFilter', (s) => this.capabilitiesMatch(s, request.extraSpecs));
    apply('CapacityFilter', (s) => s.usableFreeGb >= request.sizeGb);
    if (candidates.length === 0) {
      throw new NoValidBackendError(
        states.length === 0
          ? 'No weighed backends available'
          : `${states.length} backend(s) considered; ${removed.join(', ')}.`,
      );
    }
    // CapacityWeigher: the most free space wins; ties go to the backend placed on least since its report.
    const best = [...candidates].sort(
      (a, b) =>
        b.usableFreeGb - a.usableFreeGb ||
        a.placedSinceReport - b.placedSinceReport ||
        a.backend.localeCompare(b.backend),
    )[0]!;
    best.consume(request.sizeGb);
    const nextRetry: RetryInfo = {
      num_attempts: attempt,
      hosts: [...retry.hosts, best.hostWithPool],
      ...(retry.exc !== undefined ? { exc: retry.exc } : {}),
    };
    return { backend: best, filterProperties: { ...filterProperties, retry: nextRetry } };
  }

  private capabilitiesMatch(s: BackendState, extraSpecs: Readonly<Record<string, string | null>>): boolean {
    const caps = (s.capabilities ?? {}) as unknown as Record<string, unknown>;
    for (const [key, wanted] of Object.entries(extraSpecs)) {
      if (key === 'volume_backend_name') {
        if (wanted !== null && wanted !== s.backendName) return false;
        continue;
      }
      // Scoped keys other than `capabilities:` belong to other consumers (qos, drivers); Cinder skips them.
      let capKey = key;
      if (key.includes(':')) {
        const [scope, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
        if (scope !== 'capabilities') continue;
        capKey = rest;
      }
      // Cinder: a backend that does not report a capability the type asks for does not match.
      if (!(capKey in caps)) return false;
      if (!specMatches(caps[capKey], wanted)) return false;
    }
    return true;
  }
}
