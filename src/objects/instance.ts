/** The Instance object (Nova objects.Instance, trimmed to the `instances` table). */
import { In, IsNull } from 'typeorm';
import { InstanceEntity } from '../db/entities/instance.entity';
import type { RequestContext } from '../rpc/context';
import {
  PersistentObject,
  registerObjectClass,
  remotable,
  remotableClassmethod,
  type FieldMap,
} from './base';
import type { ObjectEnvironment } from './environment';
import {
  InstanceNotFoundError,
  ObjectActionError,
  UnexpectedInstanceStateError,
  UnexpectedTaskStateError,
  type InstancePlacementState,
} from './errors';

const FIELDS = {
  uuid: { kind: 'string' },
  projectId: { kind: 'string' },
  userId: { kind: 'string' },
  host: { kind: 'string', nullable: true },
  node: { kind: 'string', nullable: true },
  vmState: { kind: 'string', nullable: true },
  taskState: { kind: 'string', nullable: true },
  powerState: { kind: 'integer' },
  vcpus: { kind: 'integer' },
  memoryMb: { kind: 'integer' },
  rootGb: { kind: 'integer' },
  displayName: { kind: 'string', nullable: true },
  availabilityZone: { kind: 'string', nullable: true },
  createdAt: { kind: 'datetime' },
  updatedAt: { kind: 'datetime', nullable: true },
} as const satisfies FieldMap;

const UPDATABLE = [
  'host',
  'node',
  'vmState',
  'taskState',
  'powerState',
  'vcpus',
  'memoryMb',
  'rootGb',
  'displayName',
  'availabilityZone',
] as const;

function fromEntity(e: InstanceEntity): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(FIELDS)) out[k] = (e as unknown as Record<string, unknown>)[k];
  return out;
}

export class Instance extends PersistentObject {
  static override readonly objName = 'Instance';
  static override readonly VERSION = '1.0';
  static override readonly fields: FieldMap = FIELDS;

  declare uuid: string;
  declare projectId: string;
  declare userId: string;
  declare host: string | null;
  declare node: string | null;
  declare vmState: string | null;
  declare taskState: string | null;
  declare powerState: number;
  declare vcpus: number;
  declare memoryMb: number;
  declare rootGb: number;
  declare displayName: string | null;
  declare availabilityZone: string | null;
  declare createdAt: Date;
  declare updatedAt: Date | null;

  /** Insert this instance (uuid, projectId, userId, vcpus, memoryMb, rootGb required). */
  @remotable
  async create(): Promise<void> {
    const ds = this.db('create');
    for (const f of ['uuid', 'projectId', 'userId', 'vcpus', 'memoryMb', 'rootGb'] as const) {
      if (!this.objAttrIsSet(f)) throw new ObjectActionError('Instance.create', `${f} is required`);
    }
    const now = new Date();
    const values = { ...this.objGetChanges(), createdAt: now, updatedAt: null } as Partial<InstanceEntity>;
    await ds.getRepository(InstanceEntity).insert({
      powerState: 0,
      host: null,
      node: null,
      vmState: null,
      taskState: null,
      displayName: null,
      availabilityZone: null,
      ...values,
      deleted: false,
      deletedAt: null,
    });
    const row = await ds.getRepository(InstanceEntity).findOneByOrFail({ uuid: this.uuid });
    this.objLoad(fromEntity(row));
    this.objResetChanges();
  }

  /**
   * Write the changed fields. With `expectedTaskState` the write only happens if the row's
   * task_state is one of them (compare-and-swap), else UnexpectedTaskStateError. With `expected` it
   * also only happens if the row's host, node and vm_state are the ones given (null: none), else
   * UnexpectedInstanceStateError: one conditional UPDATE, so of two processes racing to move the same
   * instance exactly one does (Nova's expected_task_state / expected_vm_state).
   */
  @remotable
  async save(
    expectedTaskState?: ReadonlyArray<string | null>,
    expected?: InstancePlacementState,
  ): Promise<void> {
    const ds = this.db('save');
    const changes = this.objGetChanges();
    const set: Record<string, unknown> = {};
    for (const k of UPDATABLE) if (k in changes) set[k] = changes[k];
    const repo = ds.getRepository(InstanceEntity);
    const now = new Date();
    const base: Record<string, unknown> = { uuid: this.uuid, deleted: false };
    for (const k of ['host', 'node', 'vmState'] as const) {
      const v = expected?.[k];
      if (v !== undefined) base[k] = v === null ? IsNull() : v;
    }
    const where: Record<string, unknown>[] = [];
    if (expectedTaskState !== undefined) {
      const nonNull = expectedTaskState.filter((s): s is string => s !== null);
      if (nonNull.length > 0) where.push({ ...base, taskState: In(nonNull) });
      if (expectedTaskState.includes(null)) where.push({ ...base, taskState: IsNull() });
    } else {
      where.push(base);
    }
    let affected = 0;
    for (const w of where) {
      const r = await repo.update(w, { ...set, updatedAt: now } as Partial<InstanceEntity>);
      affected += r.affected ?? 0;
      if (affected > 0) break;
    }
    if (affected === 0) {
      const row = await repo.findOneBy({ uuid: this.uuid, deleted: false });
      if (row === null) throw new InstanceNotFoundError(this.uuid);
      if (expectedTaskState !== undefined && !expectedTaskState.includes(row.taskState)) {
        throw new UnexpectedTaskStateError(this.uuid, expectedTaskState, row.taskState);
      }
      throw new UnexpectedInstanceStateError(this.uuid, expected ?? {}, {
        host: row.host,
        node: row.node,
        vmState: row.vmState,
      });
    }
    const row = await repo.findOneByOrFail({ uuid: this.uuid });
    this.objLoad(fromEntity(row));
    this.objResetChanges();
  }

  /** Re-read every field from the database. */
  @remotable
  async refresh(): Promise<void> {
    const row = await this.db('refresh')
      .getRepository(InstanceEntity)
      .findOneBy({ uuid: this.uuid, deleted: false });
    if (row === null) throw new InstanceNotFoundError(this.uuid);
    this.objLoad(fromEntity(row));
    this.objResetChanges();
  }

  /** Soft-delete the row. */
  @remotable
  async destroy(): Promise<void> {
    const r = await this.db('destroy')
      .getRepository(InstanceEntity)
      .update({ uuid: this.uuid, deleted: false }, { deleted: true, deletedAt: new Date() });
    if ((r.affected ?? 0) === 0) throw new InstanceNotFoundError(this.uuid);
  }

  @remotableClassmethod
  static async getByUuid(env: ObjectEnvironment, ctx: RequestContext, uuid: string): Promise<Instance> {
    const row = await env
      .dataSource('Instance.getByUuid')
      .getRepository(InstanceEntity)
      .findOneBy({ uuid, deleted: false });
    if (row === null) throw new InstanceNotFoundError(uuid);
    const obj = new Instance(env, ctx);
    obj.objLoad(fromEntity(row));
    return obj;
  }

  /** The live instances on `host` (optionally one node), oldest first. */
  @remotableClassmethod
  static async getByHost(
    env: ObjectEnvironment,
    ctx: RequestContext,
    host: string,
    node?: string | null,
  ): Promise<Instance[]> {
    const rows = await env
      .dataSource('Instance.getByHost')
      .getRepository(InstanceEntity)
      .find({
        where: { host, deleted: false, ...(node != null ? { node } : {}) },
        order: { createdAt: 'ASC', uuid: 'ASC' },
      });
    return rows.map((row) => {
      const obj = new Instance(env, ctx);
      obj.objLoad(fromEntity(row));
      return obj;
    });
  }

  /** The live instances, of one project or (projectId null) of every project, oldest first. */
  @remotableClassmethod
  static async getAll(
    env: ObjectEnvironment,
    ctx: RequestContext,
    projectId: string | null,
  ): Promise<Instance[]> {
    const rows = await env
      .dataSource('Instance.getAll')
      .getRepository(InstanceEntity)
      .find({
        where: { deleted: false, ...(projectId !== null ? { projectId } : {}) },
        order: { createdAt: 'ASC', uuid: 'ASC' },
      });
    return rows.map((row) => {
      const obj = new Instance(env, ctx);
      obj.objLoad(fromEntity(row));
      return obj;
    });
  }
}
registerObjectClass(Instance);
