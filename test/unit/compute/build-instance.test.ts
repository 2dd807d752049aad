/**
 * Compute, conductor and scheduler services in one process on the real RPC layer (in-process
 * transport) and SQLite: resource tracking, scheduling, the build flow and its reverts.
 */
import { ComputeResourcesUnavailableError, InvalidResourceReportError } from '../../../src/compute/errors';
import { ComputeNodeEntity } from '../../../src/db/entities/compute-node.entity';
import { InstanceEntity } from '../../../src/db/entities/instance.entity';
import { RequestContext } from '../../../src/rpc/context';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { waitFor } from '../../contracts/transport.contract';
import { startCloud as start, type Cloud, type HostSpec } from './cloud';

const ctx = new RequestContext({ userId: 'u1', projectId: 'p1', roles: ['member'] });

describe('compute build on the engine, through conductor and scheduler', () => {
  let db: TestDatabase | undefined;
  let cloud: Cloud | undefined;

  afterEach(async () => {
    await cloud?.stop();
    await db?.drop();
    cloud = undefined;
    db = undefined;
  });

  async function startCloud(hosts: Record<string, HostSpec>, maxAttempts = 3): Promise<Cloud> {
    db = await createTestSqliteDatabase();
    const transport = new InProcessTransport({ defaultTimeoutMs: 5000 });
    cloud = await start({
      dataSource: db.dataSource,
      makeTransport: async () => transport,
      hosts,
      maxAttempts,
    });
    return cloud;
  }

  const nodes = async (): Promise<Record<string, ComputeNodeEntity>> =>
    Object.fromEntries(
      (await db!.dataSource.getRepository(ComputeNodeEntity).find({ where: { deleted: 0 } })).map((n) => [
        n.host,
        n,
      ]),
    );

  it('registers each compute node through the conductor on start and lists the hypervisors', async () => {
    const { api, computes } = await startCloud({ cmp1: { memoryMb: 2048 }, cmp2: { memoryMb: 4096 } });

    const hv = await api.listHypervisors(ctx);

    expect(hv.map((h) => [h.host, h.vcpus, h.memoryMb, h.vcpusUsed, h.freeRamMb])).toEqual([
      ['cmp1', 4, 2048, 0, 2048],
      ['cmp2', 4, 4096, 0, 4096],
    ]);
    expect(() => computes['cmp1']!.objectEnv.dataSource('test')).toThrow(
      'nova-compute attempted direct database access',
    );
  });

  it('builds an instance on the host with the most free RAM and accounts its usage', async () => {
    const { api, drivers, computes, settled } = await startCloud({
      cmp1: { memoryMb: 2048 },
      cmp2: { memoryMb: 4096 },
    });

    const inst = await api.createInstance(ctx, { vcpus: 2, memoryMb: 1024, rootGb: 10, displayName: 'vm1' });
    const row = await settled(inst.uuid);
    const n = await nodes();

    expect(row).toMatchObject({
      vmState: 'active',
      taskState: null,
      powerState: 1,
      host: 'cmp2',
      node: 'cmp2',
    });
    expect(n['cmp2']).toMatchObject({
      vcpusUsed: 2,
      memoryMbUsed: 1024,
      localGbUsed: 10,
      freeRamMb: 3072,
      runningVms: 1,
    });
    expect(n['cmp1']).toMatchObject({ vcpusUsed: 0, memoryMbUsed: 0 });
    expect(drivers['cmp2']!.listInstanceUuids()).toEqual([inst.uuid]);
    expect(computes['cmp2']!.tracker('cmp2').claimedInstances).toEqual([]);

    await computes['cmp2']!.updateAvailableResource(RequestContext.admin()); // the audit counts it from the DB now
    expect((await nodes())['cmp2']).toMatchObject({ vcpusUsed: 2, memoryMbUsed: 1024, localGbUsed: 10 });
  });

  it('reschedules a build whose spawn fails to another host, releasing the first claim', async () => {
    const { api, drivers, computes, settled } = await startCloud({
      cmp1: { memoryMb: 8192, failSpawns: true },
      cmp2: { memoryMb: 4096 },
    });

    const inst = await api.createInstance(ctx, { vcpus: 1, memoryMb: 512, rootGb: 1 });
    const row = await settled(inst.uuid);
    const n = await nodes();

    expect(drivers['cmp1']!.spawnAttempts).toEqual([inst.uuid]);
    expect(row).toMatchObject({ vmState: 'active', host: 'cmp2' });
    expect(n['cmp1']).toMatchObject({ vcpusUsed: 0, memoryMbUsed: 0, localGbUsed: 0, runningVms: 0 });
    expect(n['cmp2']).toMatchObject({ vcpusUsed: 1, memoryMbUsed: 512 });
    expect(computes['cmp1']!.tracker('cmp1').claimedInstances).toEqual([]);
  });

  it('leaves the instance in ERROR with every claim released when it fails everywhere', async () => {
    const { api, drivers, computes, settled } = await startCloud(
      {
        cmp1: { memoryMb: 4096, failSpawns: true },
        cmp2: { memoryMb: 4096, failSpawns: true },
        cmp3: { memoryMb: 4096, failSpawns: true },
      },
      2,
    );

    const inst = await api.createInstance(ctx, { vcpus: 1, memoryMb: 512, rootGb: 1 });
    const row = await settled(inst.uuid);
    const n = await nodes();
    const attempts = Object.values(drivers).reduce((s, d) => s + d.spawnAttempts.length, 0);

    expect(row).toMatchObject({ vmState: 'error', taskState: null, host: null, node: null });
    expect(attempts).toBe(2); // maxAttempts
    for (const host of ['cmp1', 'cmp2', 'cmp3']) {
      expect(n[host]).toMatchObject({
        vcpusUsed: 0,
        memoryMbUsed: 0,
        localGbUsed: 0,
        freeRamMb: 4096,
        freeDiskGb: 100,
        runningVms: 0,
      });
      expect(computes[host]!.tracker(host).claimedInstances).toEqual([]);
    }
  });

  it("leaves the scheduler's view of every node at zero too after a build that failed everywhere", async () => {
    const hosts = { cmp1: { memoryMb: 4096, failSpawns: true }, cmp2: { memoryMb: 4096, failSpawns: true } };
    const { api, drivers, schedulers, settled } = await startCloud(hosts, 3);
    const hm = schedulers['ctl']!.endpoint.hostManager;

    const inst = await api.createInstance(ctx, { vcpus: 2, memoryMb: 1024, rootGb: 5 });
    const row = await settled(inst.uuid);
    // Each failed host tells the scheduler (delete_instance_info, a cast) after its revert.
    await waitFor(
      () => hm.instancesOn('cmp1').length + hm.instancesOn('cmp2').length === 0,
      5000,
      'the scheduler to forget the instance',
    );
    const states = await hm.getAllHostStates(RequestContext.admin());
    const n = await nodes();

    expect(row).toMatchObject({ vmState: 'error', host: null });
    expect(
      states.map((s) => [s.host, s.vcpusUsed, s.memoryMbUsed, s.localGbUsed, s.freeRamMb, [...s.instances]]),
    ).toEqual([
      ['cmp1', 0, 0, 0, 4096, []],
      ['cmp2', 0, 0, 0, 4096, []],
    ]);
    expect(
      Object.values(n).map((x) => [x.host, x.vcpusUsed, x.memoryMbUsed, x.localGbUsed, x.runningVms]),
    ).toEqual([
      ['cmp1', 0, 0, 0, 0],
      ['cmp2', 0, 0, 0, 0],
    ]);

    // Nothing of the failed build lingers: the next one sees both nodes whole and lands on the first.
    drivers['cmp1']!.configure({ failSpawns: false });
    const next = await settled(
      (await api.createInstance(ctx, { vcpus: 4, memoryMb: 4096, rootGb: 100 })).uuid,
    );
    expect(next).toMatchObject({ vmState: 'active', host: 'cmp1' });
  });

  it('marks an instance that fits nowhere ERROR without trying any host (NoValidHost)', async () => {
    const { api, drivers, settled } = await startCloud({ cmp1: { memoryMb: 2048 } });

    const inst = await api.createInstance(ctx, { vcpus: 1, memoryMb: 4096, rootGb: 1 });
    const row = await settled(inst.uuid);

    expect(row.vmState).toBe('error');
    expect(drivers['cmp1']!.spawnAttempts).toEqual([]);
  });

  it('spreads a burst by consuming what it schedules', async () => {
    const { api, settled } = await startCloud({
      cmp1: { memoryMb: 2048, vcpus: 2 },
      cmp2: { memoryMb: 2048, vcpus: 2 },
    });

    const made = [];
    for (let i = 0; i < 4; i += 1)
      made.push(await api.createInstance(ctx, { vcpus: 1, memoryMb: 1024, rootGb: 1 }));
    const rows = await Promise.all(made.map((m) => settled(m.uuid)));
    const fifth = await api.createInstance(ctx, { vcpus: 1, memoryMb: 1024, rootGb: 1 });

    expect(rows.map((r) => r.vmState)).toEqual(['active', 'active', 'active', 'active']);
    expect(rows.filter((r) => r.host === 'cmp1')).toHaveLength(2);
    expect((await settled(fifth.uuid)).vmState).toBe('error');
    expect(Object.values(await nodes()).map((x) => x.memoryMbUsed)).toEqual([2048, 2048]);
  });

  it('refuses a claim that does not fit, naming the resource', async () => {
    const { computes } = await startCloud({ cmp1: { memoryMb: 2048, vcpus: 2 } });
    const tracker = computes['cmp1']!.tracker('cmp1');

    const err = await tracker
      .instanceClaim(RequestContext.admin(), { uuid: 'x', vcpus: 3, memoryMb: 1, rootGb: 1 })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ComputeResourcesUnavailableError);
    expect((err as Error).message).toContain('vcpus: requested 3, free 2 of 2');
    expect((await nodes())['cmp1']!.vcpusUsed).toBe(0);
  });

  it('deletes orphan compute nodes and refuses nonsense driver reports', async () => {
    const { api, drivers, computes } = await startCloud({ cmp1: { memoryMb: 2048 } });
    drivers['cmp1']!.configure({ nodes: ['cmp1-new'] });

    await computes['cmp1']!.updateAvailableResource(RequestContext.admin());
    drivers['cmp1']!.configure({ memoryMb: -5 });
    const bad = await computes['cmp1']!.updateAvailableResource(RequestContext.admin()).catch(
      (e: unknown) => e,
    );

    expect((await api.listHypervisors(ctx)).map((h) => h.hypervisorHostname)).toEqual(['cmp1-new']);
    expect(bad).toBeInstanceOf(InvalidResourceReportError);
  });

  it('refuses bad instance requests before writing anything', async () => {
    const { api } = await startCloud({ cmp1: { memoryMb: 2048 } });

    await expect(api.createInstance(ctx, { vcpus: 0, memoryMb: 1, rootGb: 1 })).rejects.toThrow(
      'vcpus must be a positive integer',
    );
    await expect(
      api.createInstance(new RequestContext(), { vcpus: 1, memoryMb: 1, rootGb: 1 }),
    ).rejects.toThrow('user and a project');
    expect(await db!.dataSource.getRepository(InstanceEntity).count()).toBe(0);
  });

  it('audits resources from the update_available_resource periodic task', async () => {
    const { api, drivers, computes, services } = await startCloud({ cmp1: { memoryMb: 2048 } });
    drivers['cmp1']!.configure({ memoryMb: 3072, vcpus: 6 });
    const spec = computes['cmp1']!.periodicTaskSpecs.find((t) => t.name === 'update_available_resource');

    const idleBefore = await services['cmp1']!.periodicTasks(true); // not due yet: nothing changes
    const before = (await api.listHypervisors(ctx))[0];
    jest.useFakeTimers({
      now: Date.now() + 61_000,
      doNotFake: [
        'setImmediate',
        'nextTick',
        'queueMicrotask',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
      ],
    });
    try {
      await services['cmp1']!.periodicTasks(true);
    } finally {
      jest.useRealTimers();
    }
    const after = (await api.listHypervisors(ctx))[0];

    expect(spec).toMatchObject({ spacing: 60, runImmediately: false });
    expect(idleBefore).toBeGreaterThan(50);
    expect(before).toMatchObject({ memoryMb: 2048, vcpus: 4 });
    expect(after).toMatchObject({ memoryMb: 3072, vcpus: 6, freeRamMb: 3072 });
  });

  it('reschedules when the chosen compute cannot be reached anymore', async () => {
    const { api, services, drivers } = await startCloud({
      cmp1: { memoryMb: 8192 },
      cmp2: { memoryMb: 4096 },
    });
    await services['cmp1']!.stop(); // its node row and recent service record remain: the scheduler still picks it

    const inst = await api.createInstance(ctx, { vcpus: 1, memoryMb: 512, rootGb: 1 });
    const row = await cloud!.settled(inst.uuid);

    expect(row).toMatchObject({ vmState: 'active', host: 'cmp2' });
    expect(drivers['cmp1']!.spawnAttempts).toEqual([]);
  });
});
