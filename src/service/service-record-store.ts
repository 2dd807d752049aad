/**
 * Where service records live (the `services` table): one live record per host + binary, bumped by
 * heartbeats. The service framework only talks to this interface: the database store implements it
 * on TypeORM, {@link InMemoryServiceRecordStore} for unit tests, and a conductor-backed store can
 * implement it for services that have no database access.
 */

import { registerRemoteErrorClass } from '../rpc/errors';

export interface ServiceRecord {
  readonly id: number;
  readonly host: string;
  readonly binary: string;
  readonly topic: string;
  readonly reportCount: number;
  readonly disabled: boolean;
  readonly disabledReason: string | null;
  readonly availabilityZone: string;
  readonly forcedDown: boolean;
  readonly createdAt: Date;
  /** Time of the last heartbeat (or admin update); null until the first one. */
  readonly updatedAt: Date | null;
}

export interface NewServiceRecord {
  readonly host: string;
  readonly binary: string;
  readonly topic: string;
  /** @default 'nova' */
  readonly availabilityZone?: string;
  readonly disabled?: boolean;
  readonly disabledReason?: string | null;
}

export interface ServiceRecordChanges {
  readonly disabled?: boolean;
  readonly disabledReason?: string | null;
  readonly forcedDown?: boolean;
  readonly availabilityZone?: string;
}

export interface ServiceRecordFilter {
  readonly host?: string;
  readonly binary?: string;
  readonly topic?: string;
}

/** A live record for this host + binary already exists (e.g. a sibling worker created it first). */
export class ServiceExistsError extends Error {
  readonly code = 'SERVICE_EXISTS';
  constructor(
    readonly host: string,
    readonly binary: string,
    options?: ErrorOptions,
  ) {
    super(`a service record for binary '${binary}' on host '${host}' already exists`, options);
    this.name = 'ServiceExistsError';
  }
}

export class ServiceNotFoundError extends Error {
  readonly code = 'SERVICE_NOT_FOUND';
  constructor(readonly serviceId: number | string) {
    super(`service ${String(serviceId)} could not be found`);
    this.name = 'ServiceNotFoundError';
  }
}

export interface ServiceRecordStore {
  getByHostAndBinary(host: string, binary: string): Promise<ServiceRecord | null>;
  /** Insert a live record; {@link ServiceExistsError} when one exists for the host + binary. */
  create(values: NewServiceRecord): Promise<ServiceRecord>;
  /** Get, or create, the record; a concurrent creator winning the race is not an error. */
  getOrCreate(values: NewServiceRecord): Promise<{ record: ServiceRecord; created: boolean }>;
  /** Heartbeat: report_count + 1 and updated_at = now. {@link ServiceNotFoundError} when gone. */
  reportState(id: number): Promise<ServiceRecord>;
  update(id: number, changes: ServiceRecordChanges): Promise<ServiceRecord>;
  /** Soft-delete the record (a later start creates a fresh one). */
  destroy(id: number): Promise<void>;
  /** Live records, ordered by id. */
  list(filter?: ServiceRecordFilter): Promise<ServiceRecord[]>;
}

/**
 * The race-tolerant get-or-create every store can use (Nova Service.start): read; if absent
 * insert; if the insert loses to a sibling, read the sibling's record.
 */
export async function getOrCreateServiceRecord(
  store: Pick<ServiceRecordStore, 'getByHostAndBinary' | 'create'>,
  values: NewServiceRecord,
): Promise<{ record: ServiceRecord; created: boolean }> {
  const existing = await store.getByHostAndBinary(values.host, values.binary);
  if (existing !== null) return { record: existing, created: false };
  try {
    return { record: await store.create(values), created: true };
  } catch (err) {
    if (!(err instanceof ServiceExistsError)) throw err;
    const sibling = await store.getByHostAndBinary(values.host, values.binary);
    if (sibling === null) throw err;
    return { record: sibling, created: false };
  }
}

function validateNew(values: NewServiceRecord): void {
  for (const key of ['host', 'binary', 'topic'] as const) {
    const v = values[key];
    if (typeof v !== 'string' || v.trim() === '' || v.length > 255) {
      throw new TypeError(`service ${key} must be a non-empty string of at most 255 characters`);
    }
  }
}

export { validateNew as validateNewServiceRecord };

/** Keeps records in memory; for unit tests and single-process experiments. */
export class InMemoryServiceRecordStore implements ServiceRecordStore {
  private readonly rows = new Map<number, ServiceRecord>();
  private nextId = 1;

  /** @param now clock for created_at / updated_at (jest fake timers move Date). */
  constructor(private readonly now: () => Date = () => new Date()) {}

  async getByHostAndBinary(host: string, binary: string): Promise<ServiceRecord | null> {
    for (const r of this.rows.values()) if (r.host === host && r.binary === binary) return { ...r };
    return null;
  }

  async create(values: NewServiceRecord): Promise<ServiceRecord> {
    validateNew(values);
    // Checked and inserted without an await in between: the unique constraint of the table.
    if ([...this.rows.values()].some((r) => r.host === values.host && r.binary === values.binary)) {
      throw new ServiceExistsError(values.host, values.binary);
    }
    const row: ServiceRecord = {
      id: this.nextId++,
      host: values.host,
      binary: values.binary,
      topic: values.topic,
      reportCount: 0,
      disabled: values.disabled ?? false,
      disabledReason: values.disabledReason ?? null,
      availabilityZone: values.availabilityZone ?? 'nova',
      forcedDown: false,
      createdAt: this.now(),
      updatedAt: null,
    };
    this.rows.set(row.id, row);
    return { ...row };
  }

  getOrCreate(values: NewServiceRecord): Promise<{ record: ServiceRecord; created: boolean }> {
    return getOrCreateServiceRecord(this, values);
  }

  async reportState(id: number): Promise<ServiceRecord> {
    const row = this.rows.get(id);
    if (row === undefined) throw new ServiceNotFoundError(id);
    const next = { ...row, reportCount: row.reportCount + 1, updatedAt: this.now() };
    this.rows.set(id, next);
    return { ...next };
  }

  async update(id: number, changes: ServiceRecordChanges): Promise<ServiceRecord> {
    const row = this.rows.get(id);
    if (row === undefined) throw new ServiceNotFoundError(id);
    const next: ServiceRecord = { ...row, ...stripUndefined(changes), updatedAt: this.now() };
    this.rows.set(id, next);
    return { ...next };
  }

  async destroy(id: number): Promise<void> {
    if (!this.rows.delete(id)) throw new ServiceNotFoundError(id);
  }

  async list(filter: ServiceRecordFilter = {}): Promise<ServiceRecord[]> {
    return [...this.rows.values()]
      .filter(
        (r) =>
          (filter.host === undefined || r.host === filter.host) &&
          (filter.binary === undefined || r.binary === filter.binary) &&
          (filter.topic === undefined || r.topic === filter.topic),
      )
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ ...r }));
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// Re-raised as the same classes when a record operation goes through the conductor.
registerRemoteErrorClass(ServiceExistsError);
registerRemoteErrorClass(ServiceNotFoundError);
