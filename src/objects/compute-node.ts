/** The ComputeNode object (Nova objects.ComputeNode, trimmed to the `compute_nodes` table). */
import { v4 as uuidv4 } from 'uuid';
import { ComputeNodeEntity } from '../db/entities/compute-node.entity';
import type { RequestContext } from '../rpc/context';
import {
  PersistentObject,
  registerObjectClass,
  remotable,
  remotableClassmethod,
  type FieldMap,
} from './base';
import type { ObjectEnvironment } from './environment';
import { ComputeHostNotFoundError, ObjectActionError } from './errors';

const FIELDS = {
  id: { kind: 'integer' },
  uuid: { kind: 'string' },
  host: { kind: 'string' },
  hypervisorHostname: { kind: 'string' },
  vcpus: { kind: 'integer' },
  memoryMb: { kind: 'integer' },
  localGb: { kind: 'integer' },
  vcpusUsed: { kind: 'integer' },
  memoryMbUsed: { kind: 'integer' },
  localGbUsed: { kind: 'integer' },
  freeRamMb: { kind: 'integer' },
  freeDiskGb: { kind: 'integer' },
  runningVms: { kind: 'integer' },
  createdAt: { kind: 'datetime' },
  updatedAt: { kind: 'datetime', nullable: true },
} as const satisfies FieldMap;

const RESOURCE_FIELDS = [
  'vcpus',
  'memoryMb',
  'localGb',
  'vcpusUsed',
  'memoryMbUsed',
  'localGbUsed',
  'freeRamMb',
  'freeDiskGb',
  'runningVms',
] as const;

function fromEntity(e: ComputeNodeEntity): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(FIELDS)) out[k] = (e as unknown as Record<string, unknown>)[k];
  return out;
}

export class ComputeNode extends PersistentObject {
  static override readonly objName = 'ComputeNode';
  static override readonly VERSION = '1.0';
  static override readonly fields: FieldMap = FIELDS;

  declare id: number;
  declare uuid: string;
  declare host: string;
  declare hypervisorHostname: string;
  declare vcpus: number;
  declare memoryMb: number;
  declare localGb: number;
  declare vcpusUsed: number;
  declare memoryMbUsed: number;
  declare localGbUsed: number;
  declare freeRamMb: number;
  declare freeDiskGb: number;
  declare runningVms: number;
  declare createdAt: Date;
  declare updatedAt: Date | null;

  /** Insert the node (host, hypervisorHostname, vcpus, memoryMb, localGb required); sets id and uuid. */
  @remotable
  async create(): Promise<void> {
    if (this.objAttrIsSet('id')) throw new ObjectActionError('ComputeNode.create', 'already created');
    for (const f of ['host', 'hypervisorHostname', 'vcpus', 'memoryMb', 'localGb'] as const) {
      if (!this.objAttrIsSet(f)) throw new ObjectActionError('ComputeNode.create', `${f} is required`);
    }
    const repo = this.db('create').getRepository(ComputeNodeEntity);
    const changes = this.objGetChanges();
    const result = await repo.insert({
      vcpusUsed: 0,
      memoryMbUsed: 0,
      localGbUsed: 0,
      freeRamMb: 0,
      freeDiskGb: 0,
      runningVms: 0,
      ...(changes as Partial<ComputeNodeEntity>),
      uuid: (changes['uuid'] as string | undefined) ?? uuidv4(),
      createdAt: new Date(),
      updatedAt: null,
      deletedAt: null,
      deleted: 0,
    });
    const id = Number((result.identifiers[0] as { id: number | string }).id);
    this.objLoad(fromEntity(await repo.findOneByOrFail({ id })));
    this.objResetChanges();
  }

  /** Write the changed resource fields. */
  @remotable
  async save(): Promise<void> {
    const repo = this.db('save').getRepository(ComputeNodeEntity);
    const changes = this.objGetChanges();
    const set: Record<string, unknown> = {};
    for (const k of RESOURCE_FIELDS) if (k in changes) set[k] = changes[k];
    const r = await repo.update({ id: this.id, deleted: 0 }, {
      ...set,
      updatedAt: new Date(),
    } as Partial<ComputeNodeEntity>);
    if ((r.affected ?? 0) === 0) throw new ComputeHostNotFoundError(this.host, this.hypervisorHostname);
    this.objLoad(fromEntity(await repo.findOneByOrFail({ id: this.id })));
    this.objResetChanges();
  }

  @remotable
  async refresh(): Promise<void> {
    const row = await this.db('refresh')
      .getRepository(ComputeNodeEntity)
      .findOneBy({ id: this.id, deleted: 0 });
    if (row === null) throw new ComputeHostNotFoundError(this.host, this.hypervisorHostname);
    this.objLoad(fromEntity(row));
    this.objResetChanges();
  }

  /** Soft-delete (deleted = id, so the host/node pair can be registered again). */
  @remotable
  async destroy(): Promise<void> {
    const r = await this.db('destroy')
      .getRepository(ComputeNodeEntity)
      .update({ id: this.id, deleted: 0 }, { deleted: this.id, deletedAt: new Date() });
    if ((r.affected ?? 0) === 0) throw new ComputeHostNotFoundError(this.host, this.hypervisorHostname);
  }

  @remotableClassmethod
  static async getByHostAndNode(
    env: ObjectEnvironment,
    ctx: RequestContext,
    host: string,
    nodename: string,
  ): Promise<ComputeNode> {
    const row = await env
      .dataSource('ComputeNode.getByHostAndNode')
      .getRepository(ComputeNodeEntity)
      .findOneBy({ host, hypervisorHostname: nodename, deleted: 0 });
    if (row === null) throw new ComputeHostNotFoundError(host, nodename);
    const obj = new ComputeNode(env, ctx);
    obj.objLoad(fromEntity(row));
    return obj;
  }

  /** Every live node, by id (the scheduler's host manager). */
  @remotableClassmethod
  static async getAll(env: ObjectEnvironment, ctx: RequestContext): Promise<ComputeNode[]> {
    const rows = await env
      .dataSource('ComputeNode.getAll')
      .getRepository(ComputeNodeEntity)
      .find({ where: { deleted: 0 }, order: { id: 'ASC' } });
    return rows.map((row) => {
      const obj = new ComputeNode(env, ctx);
      obj.objLoad(fromEntity(row));
      return obj;
    });
  }

  /** Every live node of `host`, by id. */
  @remotableClassmethod
  static async getAllByHost(
    env: ObjectEnvironment,
    ctx: RequestContext,
    host: string,
  ): Promise<ComputeNode[]> {
    const rows = await env
      .dataSource('ComputeNode.getAllByHost')
      .getRepository(ComputeNodeEntity)
      .find({ where: { host, deleted: 0 }, order: { id: 'ASC' } });
    return rows.map((row) => {
      const obj = new ComputeNode(env, ctx);
      obj.objLoad(fromEntity(row));
      return obj;
    });
  }
}
registerObjectClass(ComputeNode);
