/**
 * What the volume scheduler knows about the backends (Cinder's scheduler HostManager): one
 * {@link BackendState} per volume backend, replaced by each capability report the backend's volume
 * service fans out (`update_service_capabilities`), and consumed locally on every selection so the
 * next pick in the same burst sees the space already promised.
 */
import { nullLogger, type Logger } from '../rpc/logger';
import type { VolumeStats } from '../volume/drivers/driver';

/** A capability report as it travels (the driver's stats plus where the backend is). */
export interface ServiceCapabilities extends VolumeStats {
  /** The zone of the reporting volume service. */
  readonly availability_zone: string;
}

export class BackendState {
  totalCapacityGb = 0;
  freeCapacityGb = 0;
  allocatedCapacityGb = 0;
  reservedPercentage = 0;
  availabilityZone = 'nova';
  capabilities: ServiceCapabilities | undefined;
  /** When the volume service made the report now in effect (ms since the epoch). */
  reportedAt = 0;
  /** When this scheduler received it (ms since the epoch). */
  receivedAt = 0;
  /** Volumes placed here since the report in effect. */
  placedSinceReport = 0;

  constructor(
    /** `host@backend`, the volume service's host. */
    readonly backend: string,
  ) {}

  /** The name volume types match with `volume_backend_name`. */
  get backendName(): string {
    return this.capabilities?.volume_backend_name ?? this.backend.split('@')[1] ?? this.backend;
  }

  /** Cinder writes `host@backend#pool`; one pool per backend here, named as the backend. */
  get hostWithPool(): string {
    return `${this.backend}#${this.backendName}`;
  }

  /** Free space less the reserved share, as the capacity filter and weigher see it. */
  get usableFreeGb(): number {
    return this.freeCapacityGb - Math.floor((this.totalCapacityGb * this.reservedPercentage) / 100);
  }

  update(capabilities: ServiceCapabilities, reportedAt: number, receivedAt: number): void {
    this.capabilities = capabilities;
    this.totalCapacityGb = capabilities.total_capacity_gb;
    this.freeCapacityGb = capabilities.free_capacity_gb;
    this.allocatedCapacityGb = capabilities.allocated_capacity_gb;
    this.reservedPercentage = capabilities.reserved_percentage;
    this.availabilityZone = capabilities.availability_zone;
    this.reportedAt = reportedAt;
    this.receivedAt = receivedAt;
    this.placedSinceReport = 0;
  }

  /** Cinder's `consume_from_volume`. */
  consume(sizeGb: number): void {
    this.freeCapacityGb -= sizeGb;
    this.allocatedCapacityGb += sizeGb;
    this.placedSinceReport += 1;
  }
}

export interface VolumeHostManagerOptions {
  /** Whether a backend's volume service is up (service group). @default every backend is up */
  readonly isBackendUp?: (backend: string) => boolean | Promise<boolean>;
  readonly logger?: Logger;
  /** Clock (ms), for tests. @default Date.now */
  readonly now?: () => number;
}

/** Checks a report's shape; a bad one is dropped with a warning instead of poisoning the state. */
function validCapabilities(c: unknown): c is ServiceCapabilities {
  if (c === null || typeof c !== 'object') return false;
  const r = c as Record<string, unknown>;
  const num = (k: string): boolean =>
    typeof r[k] === 'number' && Number.isFinite(r[k] as number) && (r[k] as number) >= 0;
  return (
    typeof r['volume_backend_name'] === 'string' &&
    typeof r['availability_zone'] === 'string' &&
    num('total_capacity_gb') &&
    num('free_capacity_gb') &&
    num('allocated_capacity_gb') &&
    num('reserved_percentage')
  );
}

export class VolumeHostManager {
  private readonly states = new Map<string, BackendState>();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: VolumeHostManagerOptions = {}) {
    this.log = (options.logger ?? nullLogger).child({ component: 'volume-host-manager' });
    this.now = options.now ?? Date.now;
  }

  /**
   * A backend's report. An older report than the one in effect (reordered delivery) is ignored.
   * @returns whether it was taken.
   */
  updateServiceCapabilities(
    serviceName: string,
    backend: string,
    capabilities: unknown,
    reportedAt: number,
  ): boolean {
    if (serviceName !== 'volume') return false;
    if (
      typeof backend !== 'string' ||
      backend === '' ||
      !validCapabilities(capabilities) ||
      !Number.isFinite(reportedAt)
    ) {
      this.log.warn('ignoring a malformed capability report', { backend });
      return false;
    }
    let state = this.states.get(backend);
    if (state === undefined) {
      state = new BackendState(backend);
      this.states.set(backend, state);
    } else if (reportedAt < state.reportedAt) {
      return false;
    }
    state.update(capabilities, reportedAt, this.now());
    this.log.debug('capabilities updated', { backend, freeCapacityGb: capabilities.free_capacity_gb });
    return true;
  }

  /** Forget a backend (its service was removed). */
  remove(backend: string): void {
    this.states.delete(backend);
  }

  /** Every backend that has reported and whose service is up. */
  async getAllBackendStates(): Promise<BackendState[]> {
    const out: BackendState[] = [];
    for (const s of this.states.values()) {
      if (this.options.isBackendUp === undefined || (await this.options.isBackendUp(s.backend))) out.push(s);
    }
    return out;
  }

  /** The state of one backend, if it has reported. */
  get(backend: string): BackendState | undefined {
    return this.states.get(backend);
  }

  get size(): number {
    return this.states.size;
  }
}
