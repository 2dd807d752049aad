/**
 * {@link ServiceRecordStore} on TypeORM (the `services` table, MariaDB or SQLite).
 *
 * One live row per host + binary is enforced by UNIQUE(host, binary, deleted) (deleted = 0 while
 * live, the row id once soft-deleted), so two workers racing to create the record cannot both win:
 * the loser gets {@link ServiceExistsError} from `create` and the winner's row from `getOrCreate`.
 * A heartbeat is one atomic `UPDATE … SET report_count = report_count + 1`.
 */
import type { DataSource, Repository } from 'typeorm';
import { ServiceEntity } from '../db/entities/service.entity';
import {
  getOrCreateServiceRecord,
  ServiceExistsError,
  ServiceNotFoundError,
  validateNewServiceRecord,
  type NewServiceRecord,
  type ServiceRecord,
  type ServiceRecordChanges,
  type ServiceRecordFilter,
  type ServiceRecordStore,
} from './service-record-store';

/** A duplicate-key error from MySQL/MariaDB (1062) or SQLite (UNIQUE / PRIMARY KEY constraint). */
export function isUniqueViolation(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const outer = err as { driverError?: unknown; code?: unknown; errno?: unknown };
  const inner = (outer.driverError ?? outer) as { code?: unknown; errno?: unknown };
  return (
    inner.code === 'ER_DUP_ENTRY' ||
    inner.errno === 1062 ||
    inner.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    inner.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

function toRecord(e: ServiceEntity): ServiceRecord {
  return {
    id: e.id,
    host: e.host,
    binary: e.binary,
    topic: e.topic,
    reportCount: e.reportCount,
    disabled: Boolean(e.disabled),
    disabledReason: e.disabledReason,
    availabilityZone: e.availabilityZone,
    forcedDown: Boolean(e.forcedDown),
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

export class DbServiceRecordStore implements ServiceRecordStore {
  /** @param now clock for created_at / updated_at / deleted_at. */
  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get repo(): Repository<ServiceEntity> {
    return this.dataSource.getRepository(ServiceEntity);
  }

  async getByHostAndBinary(host: string, binary: string): Promise<ServiceRecord | null> {
    const row = await this.repo.findOne({ where: { host, binary, deleted: 0 } });
    return row === null ? null : toRecord(row);
  }

  async create(values: NewServiceRecord): Promise<ServiceRecord> {
    validateNewServiceRecord(values);
    let id: number;
    try {
      const result = await this.repo.insert({
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
        deletedAt: null,
        deleted: 0,
      });
      id = Number((result.identifiers[0] as { id: number | string }).id);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ServiceExistsError(values.host, values.binary, { cause: err });
      throw err;
    }
    return this.getLive(id);
  }

  getOrCreate(values: NewServiceRecord): Promise<{ record: ServiceRecord; created: boolean }> {
    return getOrCreateServiceRecord(this, values);
  }

  async reportState(id: number): Promise<ServiceRecord> {
    const result = await this.repo
      .createQueryBuilder()
      .update(ServiceEntity)
      .set({ reportCount: () => 'report_count + 1', updatedAt: this.now() })
      .where('id = :id AND deleted = 0', { id })
      .execute();
    if (result.affected === 0) throw new ServiceNotFoundError(id);
    return this.getLive(id);
  }

  async update(id: number, changes: ServiceRecordChanges): Promise<ServiceRecord> {
    const set: Partial<ServiceEntity> = { updatedAt: this.now() };
    if (changes.disabled !== undefined) set.disabled = changes.disabled;
    if (changes.disabledReason !== undefined) set.disabledReason = changes.disabledReason;
    if (changes.forcedDown !== undefined) set.forcedDown = changes.forcedDown;
    if (changes.availabilityZone !== undefined) set.availabilityZone = changes.availabilityZone;
    const result = await this.repo.update({ id, deleted: 0 }, set);
    if (result.affected === 0) throw new ServiceNotFoundError(id);
    return this.getLive(id);
  }

  async destroy(id: number): Promise<void> {
    const result = await this.repo.update({ id, deleted: 0 }, { deleted: id, deletedAt: this.now() });
    if (result.affected === 0) throw new ServiceNotFoundError(id);
  }

  async list(filter: ServiceRecordFilter = {}): Promise<ServiceRecord[]> {
    const rows = await this.repo.find({
      where: {
        deleted: 0,
        ...(filter.host !== undefined ? { host: filter.host } : {}),
        ...(filter.binary !== undefined ? { binary: filter.binary } : {}),
        ...(filter.topic !== undefined ? { topic: filter.topic } : {}),
      },
      order: { id: 'ASC' },
    });
    return rows.map(toRecord);
  }

  private async getLive(id: number): Promise<ServiceRecord> {
    const row = await this.repo.findOne({ where: { id, deleted: 0 } });
    if (row === null) throw new ServiceNotFoundError(id);
    return toRecord(row);
  }
}
