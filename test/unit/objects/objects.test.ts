import { v4 as uuidv4 } from 'uuid';
import { ComputeNodeEntity } from '../../../src/db/entities/compute-node.entity';
import { InstanceEntity } from '../../../src/db/entities/instance.entity';
import { ServiceEntity } from '../../../src/db/entities/service.entity';
import { ConductorManager } from '../../../src/conductor/conductor-manager';
import { ConductorObjectIndirectionApi } from '../../../src/conductor/object-indirection-api';
import {
  blockedDataSource,
  ComputeHostNotFoundError,
  ComputeNode,
  DBNotAllowed,
  Instance,
  InstanceNotFoundError,
  ObjectActionError,
  ObjectEnvironment,
  ObjectSerializer,
  ObjectServiceRecordStore,
  OrphanedObjectError,
  PersistentObject,
  ServiceObject,
  UnexpectedTaskStateError,
} from '../../../src/objects';
import { RpcClient } from '../../../src/rpc/client';
import { RequestContext } from '../../../src/rpc/context';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import { IncompatibleObjectVersionError } from '../../../src/rpc/serializer';
import type { RpcMessage, Target } from '../../../src/rpc/transport';
import { Manager } from '../../../src/service/manager';
import { Service } from '../../../src/service/service';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';

const ctx = new RequestContext({ requestId: 'req-objects', userId: 'u', projectId: 'p' });

describe('persistent objects and conductor indirection (SQLite, in-process RPC)', () => {
  let db: TestDatabase;
  let transport: InProcessTransport;
  let conductor: Service;
  let conductorEnv: ObjectEnvironment;
  let computeEnv: ObjectEnvironment;
  let rpcMethods: string[];

  beforeEach(async () => {
    db = await createTestSqliteDatabase();
    transport = new InProcessTransport({ defaultTimeoutMs: 5000 });
    rpcMethods = [];
    const realCall = transport.call.bind(transport);
    jest.spyOn(transport, 'call').mockImplementation((target: Target, message: RpcMessage, options) => {
      rpcMethods.push(`${target.topic}:${message.method}`);
      return realCall(target, message, options);
    });
    conductorEnv = ObjectEnvironment.direct('nova-conductor', db.dataSource);
    conductor = Service.create({
      host: 'ctl',
      binary: 'nova-conductor',
      manager: (o) => new ConductorManager({ ...o, objectEnv: conductorEnv }),
      transport,
      store: new ObjectServiceRecordStore(conductorEnv, () => RequestContext.admin()),
      serializer: new ObjectSerializer(conductorEnv),
      settings: { periodicEnable: false, reportInterval: 0 },
    });
    await conductor.start();
    computeEnv = ObjectEnvironment.remote(
      'nova-compute',
      (env) => new ConductorObjectIndirectionApi(transport, env),
    );
    rpcMethods.length = 0;
  });

  afterEach(async () => {
    await conductor.stop();
    await transport.close();
    await db.drop();
  });

  const newInstance = (env: ObjectEnvironment, extra: Record<string, unknown> = {}): Instance =>
    new Instance(env, ctx, {
      uuid: uuidv4(),
      projectId: 'p',
      userId: 'u',
      vcpus: 2,
      memoryMb: 512,
      rootGb: 1,
      ...extra,
    });

  it('tracks changed fields and validates values', () => {
    const inst = newInstance(conductorEnv);

    expect(inst.objWhatChanged()).toEqual(
      new Set(['uuid', 'projectId', 'userId', 'vcpus', 'memoryMb', 'rootGb']),
    );
    inst.objResetChanges();
    inst.vmState = 'building';

    expect(inst.objGetChanges()).toEqual({ vmState: 'building' });
    expect(() => ((inst as unknown as Record<string, unknown>)['vcpus'] = 'two')).toThrow(ObjectActionError);
    expect(() => ((inst as unknown as Record<string, unknown>)['projectId'] = null)).toThrow('non-null');
    expect(() => inst.host).toThrow('not set');
    expect(() => new Instance(conductorEnv, ctx, { nope: 1 })).toThrow("unknown field 'nope'");
  });

  it('runs remotable methods locally where the database is', async () => {
    const inst = newInstance(conductorEnv, { vmState: 'building' });

    await inst.create();
    inst.taskState = 'spawning';
    await inst.save();
    const fetched = await Instance.getByUuid(conductorEnv, ctx, inst.uuid);

    expect(inst.objWhatChanged().size).toBe(0);
    expect(inst.updatedAt).toBeInstanceOf(Date);
    expect(fetched).toBeInstanceOf(Instance);
    expect(fetched.objEnv).toBe(conductorEnv);
    expect(fetched).toMatchObject({
      uuid: inst.uuid,
      vmState: 'building',
      taskState: 'spawning',
      powerState: 0,
      host: null,
    });
    expect(rpcMethods).toEqual([]);
  });

  it('sends a compute object method to the conductor and applies the returned updates', async () => {
    const node = new ComputeNode(computeEnv, ctx, {
      host: 'cmp1',
      hypervisorHostname: 'cmp1',
      vcpus: 8,
      memoryMb: 4096,
      localGb: 100,
    });

    await node.create();
    node.vcpusUsed = 3;
    node.freeRamMb = 3584;
    const changedBeforeSave = node.objWhatChanged();
    await node.save();
    const row = await db.dataSource.getRepository(ComputeNodeEntity).findOneByOrFail({ id: node.id });

    expect(rpcMethods).toEqual(['conductor:object_action', 'conductor:object_action']);
    expect(changedBeforeSave).toEqual(new Set(['vcpusUsed', 'freeRamMb']));
    expect(row).toMatchObject({ host: 'cmp1', vcpusUsed: 3, freeRamMb: 3584 });
    expect(node.id).toBe(row.id);
    expect(node.uuid).toBe(row.uuid);
    expect(node.updatedAt?.getTime()).toBe(row.updatedAt!.getTime());
    expect(node.objWhatChanged().size).toBe(0);
  });

  it('brings back rows the conductor changed meanwhile on refresh', async () => {
    const local = newInstance(conductorEnv);
    await local.create();
    const remote = await Instance.getByUuid(computeEnv, ctx, local.uuid);
    await db.dataSource
      .getRepository(InstanceEntity)
      .update({ uuid: local.uuid }, { vmState: 'active', host: 'cmp9' });

    await remote.refresh();

    expect(remote).toMatchObject({ vmState: 'active', host: 'cmp9' });
    expect(rpcMethods).toEqual(['conductor:object_class_action_versions', 'conductor:object_action']);
  });

  it('runs remotable class methods on the conductor and binds the results to the caller', async () => {
    for (const n of ['a', 'b']) {
      await new ComputeNode(conductorEnv, ctx, {
        host: 'cmp1',
        hypervisorHostname: n,
        vcpus: 4,
        memoryMb: 1024,
        localGb: 10,
      }).create();
    }

    const one = await ComputeNode.getByHostAndNode(computeEnv, ctx, 'cmp1', 'b');
    const all = await ComputeNode.getAllByHost(computeEnv, ctx, 'cmp1');

    expect(one).toBeInstanceOf(ComputeNode);
    expect(one.objEnv).toBe(computeEnv);
    expect(one.objContext?.requestId).toBe('req-objects');
    expect(all.map((n) => n.hypervisorHostname)).toEqual(['a', 'b']);
    expect(all.every((n) => n instanceof ComputeNode && n.objEnv === computeEnv)).toBe(true);
  });

  it('re-raises domain errors from the conductor as the same classes', async () => {
    const missing = uuidv4();
    const inst = newInstance(conductorEnv, { taskState: 'spawning' });
    await inst.create();
    const remote = await Instance.getByUuid(computeEnv, ctx, inst.uuid);
    remote.vmState = 'active';

    const notFound = await Instance.getByUuid(computeEnv, ctx, missing).catch((e: unknown) => e);
    const unexpected = await remote.save(['deleting', null]).catch((e: unknown) => e);
    const noNode = await ComputeNode.getByHostAndNode(computeEnv, ctx, 'nope', 'nope').catch(
      (e: unknown) => e,
    );

    expect(notFound).toBeInstanceOf(InstanceNotFoundError);
    expect(notFound).toMatchObject({ instanceUuid: missing });
    expect(unexpected).toBeInstanceOf(UnexpectedTaskStateError);
    expect(unexpected).toMatchObject({
      instanceUuid: inst.uuid,
      expected: ['deleting', null],
      actual: 'spawning',
    });
    expect(noNode).toBeInstanceOf(ComputeHostNotFoundError);
    expect(
      (await db.dataSource.getRepository(InstanceEntity).findOneByOrFail({ uuid: inst.uuid })).vmState,
    ).toBeNull();
  });

  it('saves when the expected task state matches (compare-and-swap through the conductor)', async () => {
    const inst = newInstance(conductorEnv, { taskState: 'spawning' });
    await inst.create();
    const remote = await Instance.getByUuid(computeEnv, ctx, inst.uuid);

    remote.taskState = null;
    remote.vmState = 'active';
    await remote.save(['spawning']);

    expect(
      await db.dataSource.getRepository(InstanceEntity).findOneByOrFail({ uuid: inst.uuid }),
    ).toMatchObject({ taskState: null, vmState: 'active' });
  });

  it('blocks the database in compute, naming the caller', async () => {
    const blocked = ObjectEnvironment.blocked('nova-compute');

    const err = await Instance.getByUuid(blocked, ctx, 'x').catch((e: unknown) => e);
    const saveErr = await newInstance(blocked)
      .create()
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DBNotAllowed);
    expect(err).toMatchObject({ binary: 'nova-compute', caller: 'Instance.getByUuid' });
    expect(saveErr).toMatchObject({ caller: 'Instance.create' });
    expect(() => computeEnv.dataSource('ResourceTracker.update')).toThrow(DBNotAllowed);
    expect(() => computeEnv.dataSource('ResourceTracker.update')).toThrow(
      'nova-compute attempted direct database access from ResourceTracker.update',
    );
    expect(() => blockedDataSource('nova-compute').getRepository(InstanceEntity)).toThrow(
      'DataSource.getRepository',
    );
    expect(computeEnv.dbAllowed).toBe(false);
    expect(conductorEnv.dbAllowed).toBe(true);
  });

  it('refuses a remotable call on an object without context', async () => {
    const orphan = new Instance(computeEnv, null, { uuid: 'u' });

    await expect(orphan.save()).rejects.toBeInstanceOf(OrphanedObjectError);
    expect(rpcMethods).toEqual([]);
  });

  it('lets the conductor run only remotable methods', async () => {
    const client = new RpcClient(
      transport,
      { topic: 'conductor' },
      { version: '3.0', serializer: new ObjectSerializer(computeEnv) },
    );
    const inst = newInstance(computeEnv);

    const err = await client
      .call(ctx, 'object_action', { objinst: inst, objmethod: 'objResetChanges', args: [] })
      .catch((e: unknown) => e);
    const classErr = await client
      .call(ctx, 'object_class_action_versions', {
        objname: 'Instance',
        objmethod: 'fromPrimitive',
        args: [],
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ObjectActionError);
    expect(err).toMatchObject({ action: 'Instance.objResetChanges', reason: 'not a remotable method' });
    expect(classErr).toBeInstanceOf(ObjectActionError);
  });

  it('serializes objects with type name, version and changes, and refuses newer versions', () => {
    const inst = newInstance(computeEnv);
    inst.objResetChanges();
    inst.host = 'h';

    const p = inst.toPrimitive();
    const back = PersistentObject.fromPrimitive(conductorEnv, ctx, JSON.parse(JSON.stringify(p)));

    expect(p).toMatchObject({ 'obj.name': 'Instance', 'obj.version': '1.0', 'obj.changes': ['host'] });
    expect(back).toBeInstanceOf(Instance);
    expect(back.objEnv).toBe(conductorEnv);
    expect(back.objWhatChanged()).toEqual(new Set(['host']));
    expect(() => PersistentObject.fromPrimitive(conductorEnv, ctx, { ...p, 'obj.version': '1.1' })).toThrow(
      IncompatibleObjectVersionError,
    );
    expect(() => PersistentObject.fromPrimitive(conductorEnv, ctx, { ...p, 'obj.version': '2.0' })).toThrow(
      'newer than or incompatible',
    );
    expect(() => PersistentObject.fromPrimitive(conductorEnv, ctx, { ...p, 'obj.name': 'Gadget' })).toThrow(
      "unknown object type 'Gadget'",
    );
  });

  it('reports compute heartbeats through the conductor', async () => {
    jest.useFakeTimers({
      now: new Date('2030-01-01T00:00:00Z'),
      doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'],
    });
    try {
      const compute = Service.create({
        host: 'cmp1',
        binary: 'nova-compute',
        manager: (o) => new Manager(o),
        transport,
        store: new ObjectServiceRecordStore(computeEnv, () => RequestContext.admin()),
        serializer: new ObjectSerializer(computeEnv),
        settings: { periodicEnable: false, reportInterval: 10 },
      });

      await compute.start();
      const beats = async (): Promise<number> =>
        (
          await db.dataSource
            .getRepository(ServiceEntity)
            .findOneByOrFail({ host: 'cmp1', binary: 'nova-compute' })
        ).reportCount;
      let seen = 0;
      for (let i = 0; i < 25; i += 1) {
        await jest.advanceTimersByTimeAsync(1000);
        // each heartbeat is an RPC round trip on real event-loop turns: let it land before moving the clock
        const expected = i + 1 >= 5 ? Math.floor((i + 1 - 5) / 10) + 1 : 0;
        while (seen < expected) {
          await new Promise((r) => setImmediate(r));
          seen = await beats();
        }
      }
      const row = await db.dataSource
        .getRepository(ServiceEntity)
        .findOneByOrFail({ host: 'cmp1', binary: 'nova-compute' });
      await compute.stop();

      expect(row.reportCount).toBe(3); // 5, 15, 25 s
      expect(rpcMethods.filter((m) => m === 'conductor:object_action').length).toBeGreaterThanOrEqual(4); // create + 3 beats
      expect(compute.serviceGroup.isUp(compute.serviceRef!)).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('lists services through Service objects with their up state', async () => {
    const objs = await ServiceObject.list(computeEnv, ctx, { binary: 'nova-conductor' });

    expect(objs.map((o) => [o.host, o.topic])).toEqual([['ctl', 'conductor']]);
    expect(objs[0]).toBeInstanceOf(ServiceObject);
  });
});
