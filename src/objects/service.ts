/**
 * The Service object (Nova objects.Service) over the `services` table, and a ServiceRecordStore on
 * it: with a compute environment the service framework's record handling and heartbeats go through
 * the conductor, as DESIGN.md §5 asks.
 */
import type { RequestContext } from '../rpc/context';
import { DbServiceRecordStore } from '../service/db-service-record-store';
import {
  getOrCreateServiceRecord,
  type NewServiceRecord,
  type ServiceRecord,
  type ServiceRecordChanges,
  type ServiceRecordFilter,
  type ServiceRecordStore,
} from '../service/service-record-store';
import {
  PersistentObject,
  registerObjectClass,
  remotable,
  remotableClassmethod,
  type FieldMap,
} from './base';
import type { ObjectEnvironment } from './environment';
import { ObjectActionError } from './errors';

const FIELDS = {
  id: { kind: 'integer' },
  host: { kind: 'string' },
  binary: { kind: 'string' },
  topic: { kind: 'string' },
  reportCount: { kind: 'integer' },
  disabled: { kind: 'boolean' },
  disabledReason: { kind: 'string', nullable: true },
  availabilityZone: { kind: 'string' },
  forcedDown: { kind: 'boolean' },
  createdAt: { kind: 'datetime' },
  updatedAt: { kind: 'datetime', nullable: true },
} as const satisfies FieldMap;

export class ServiceObject extends PersistentObject {
  static override readonly objName = 'Service';
  static override readonly VERSION = '1.0';
  static override readonly fields: FieldMap = FIELDS;

  declare id: number;
  declare host: string;
  declare binary: string;
  declare topic: string;
  declare reportCount: number;
  declare disabled: boolean;
  declare disabledReason: string | null;
  declare availabilityZone: string;
  declare forcedDown: boolean;
  declare createdAt: Date;
  declare updatedAt: Date | null;

  static fromRecord(
    env: ObjectEnvironment,
    ctx: RequestContext | null,
    record: ServiceRecord,
  ): ServiceObject {
    const obj = new ServiceObject(env, ctx);
    obj.objLoad({ ...record });
    return obj;
  }

  toRecord(): ServiceRecord {
    return {
      id: this.id,
      host: this.host,
      binary: this.binary,
      topic: this.topic,
      reportCount: this.reportCount,
      disabled: this.disabled,
      disabledReason: this.disabledReason,
      availabilityZone: this.availabilityZone,
      forcedDown: this.forcedDown,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    };
  }

  private store(method: string): DbServiceRecordStore {
    return new DbServiceRecordStore(this.db(method));
  }

  /** Insert (host, binary, topic required); ServiceExistsError when a live record exists. */
  @remotable
  async create(): Promise<void> {
    if (this.objAttrIsSet('id')) throw new ObjectActionError('Service.create', 'already created');
    for (const f of ['host', 'binary', 'topic'] as const) {
      if (!this.objAttrIsSet(f)) throw new ObjectActionError('Service.create', `${f} is required`);
    }
    const c = this.objGetChanges();
    const record = await this.store('create').create({
      host: this.host,
      binary: this.binary,
      topic: this.topic,
      ...(c['availabilityZone'] !== undefined ? { availabilityZone: c['availabilityZone'] as string } : {}),
      ...(c['disabled'] !== undefined ? { disabled: c['disabled'] as boolean } : {}),
      ...(c['disabledReason'] !== undefined ? { disabledReason: c['disabledReason'] as string | null } : {}),
    });
    this.objLoad({ ...record });
    this.objResetChanges();
  }

  /** Write the changed admin fields (disabled, disabledReason, forcedDown, availabilityZone). */
  @remotable
  async save(): Promise<void> {
    const c = this.objGetChanges();
    const changes: ServiceRecordChanges = {
      ...(c['disabled'] !== undefined ? { disabled: c['disabled'] as boolean } : {}),
      ...(c['disabledReason'] !== undefined ? { disabledReason: c['disabledReason'] as string | null } : {}),
      ...(c['forcedDown'] !== undefined ? { forcedDown: c['forcedDown'] as boolean } : {}),
      ...(c['availabilityZone'] !== undefined ? { availabilityZone: c['availabilityZone'] as string } : {}),
    };
    this.objLoad({ ...(await this.store('save').update(this.id, changes)) });
    this.objResetChanges();
  }

  /** Heartbeat: report_count + 1 and updated_at = now, atomically. */
  @remotable
  async reportState(): Promise<void> {
    this.objLoad({ ...(await this.store('reportState').reportState(this.id)) });
    this.objResetChanges();
  }

  @remotable
  async destroy(): Promise<void> {
    await this.store('destroy').destroy(this.id);
  }

  @remotableClassmethod
  static async getByHostAndBinary(
    env: ObjectEnvironment,
    ctx: RequestContext,
    host: string,
    binary: string,
  ): Promise<ServiceObject | null> {
    const record = await new DbServiceRecordStore(
      env.dataSource('Service.getByHostAndBinary'),
    ).getByHostAndBinary(host, binary);
    return record === null ? null : ServiceObject.fromRecord(env, ctx, record);
  }

  @remotableClassmethod
  static async list(
    env: ObjectEnvironment,
    ctx: RequestContext,
    filter: ServiceRecordFilter = {},
  ): Promise<ServiceObject[]> {
    const records = await new DbServiceRecordStore(env.dataSource('Service.list')).list(filter);
    return records.map((r) => ServiceObject.fromRecord(env, ctx, r));
  }
}
registerObjectClass(ServiceObject);

/**
 * A {@link ServiceRecordStore} on Service objects: local DB access or, in a compute environment,
 * every read, create and heartbeat through the conductor.
 */
export class ObjectServiceRecordStore implements ServiceRecordStore {
  constructor(
    private readonly env: ObjectEnvironment,
    private readonly ctx: () => RequestContext,
  ) {}

  async getByHostAndBinary(host: string, binary: string): Promise<ServiceRecord | null> {
    const obj = await ServiceObject.getByHostAndBinary(this.env, this.ctx(), host, binary);
    return obj === null ? null : obj.toRecord();
  }

  async create(values: NewServiceRecord): Promise<ServiceRecord> {
    const obj = new ServiceObject(this.env, this.ctx(), { ...values });
    await obj.create();
    return obj.toRecord();
  }

  getOrCreate(values: NewServiceRecord): Promise<{ record: ServiceRecord; created: boolean }> {
    return getOrCreateServiceRecord(this, values);
  }

  async reportState(id: number): Promise<ServiceRecord> {
    const obj = new ServiceObject(this.env, this.ctx(), { id });
    await obj.reportState();
    return obj.toRecord();
  }

  async update(id: number, changes: ServiceRecordChanges): Promise<ServiceRecord> {
    const obj = new ServiceObject(this.env, this.ctx(), { id });
    for (const [k, v] of Object.entries(changes))
      if (v !== undefined) (obj as unknown as Record<string, unknown>)[k] = v;
    await obj.save();
    return obj.toRecord();
  }

  async destroy(id: number): Promise<void> {
    await new ServiceObject(this.env, this.ctx(), { id }).destroy();
  }

  async list(filter?: ServiceRecordFilter): Promise<ServiceRecord[]> {
    return (await ServiceObject.list(this.env, this.ctx(), filter ?? {})).map((o) => o.toRecord());
  }
}
