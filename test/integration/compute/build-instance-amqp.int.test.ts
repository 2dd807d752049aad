/** @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js */
/**
 * The compute build over real RabbitMQ and MariaDB: conductor, scheduler and three computes, each
 * on its own AMQP connection (as separate processes would be), objects crossing the wire as
 * primitives, compute without database access, heartbeats through the conductor.
 */
import { ComputeNodeEntity } from '../../../src/db/entities/compute-node.entity';
import { ServiceEntity } from '../../../src/db/entities/service.entity';
import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import { RequestContext } from '../../../src/rpc/context';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';
import { waitFor } from '../../contracts/transport.contract';
import {
  deleteNamespace,
  requireAmqpUrl,
  transportOptions,
  uniqueNamespace,
  unhandledRejections,
} from '../rpc/amqp-helpers';
import type { ComputeSchedulerManager } from '../../../src/scheduler/compute-scheduler';
import { startCloud, type Cloud } from '../../unit/compute/cloud';

const ctx = new RequestContext({ userId: 'u1', projectId: 'p1' });

describe('compute build over RabbitMQ and MariaDB', () => {
  const ns = uniqueNamespace('compute');
  let url: string;
  let db: TestDatabase;
  let cloud: Cloud;

  beforeAll(async () => {
    url = await requireAmqpUrl();
    db = await createTestMysqlDatabase();
    cloud = await startCloud({
      dataSource: db.dataSource,
      makeTransport: async (name) => {
        const t = new AmqpTransport(
          transportOptions(url, ns, { connectionName: `compute-test:${name}`, defaultTimeoutMs: 10_000 }),
        );
        await t.connect();
        return t;
      },
      hosts: { cmp1: { memoryMb: 8192, failSpawns: 1 }, cmp2: { memoryMb: 4096 }, cmp3: { memoryMb: 2048 } },
      maxAttempts: 3,
      // Two schedulers, each on its own connection: instance info must reach both (fanout exchange).
      schedulerHosts: ['ctl', 'ctl2'],
      settings: { periodicEnable: false, reportInterval: 1, serviceDownTime: 30 },
    });
  });

  afterAll(async () => {
    await cloud?.stop();
    await db?.drop();
    if (url !== undefined) await deleteNamespace(url, ns);
    expect(unhandledRejections()).toEqual([]);
  });

  it('registers every compute node through the conductor', async () => {
    const hv = await cloud.api.listHypervisors(ctx);

    expect(hv.map((h) => [h.host, h.memoryMb])).toEqual([
      ['cmp1', 8192],
      ['cmp2', 4096],
      ['cmp3', 2048],
    ]);
  });

  it('reschedules a failed spawn to another host and ends ACTIVE with exact usage', async () => {
    const inst = await cloud.api.createInstance(ctx, { vcpus: 2, memoryMb: 1024, rootGb: 5 });

    const row = await cloud.settled(inst.uuid, 30_000);
    const nodes = Object.fromEntries(
      (await db.dataSource.getRepository(ComputeNodeEntity).find()).map((n) => [n.host, n]),
    );

    expect(cloud.drivers['cmp1']!.spawnAttempts).toEqual([inst.uuid]);
    expect(row).toMatchObject({ vmState: 'active', host: 'cmp2', node: 'cmp2', taskState: null });
    expect(nodes['cmp1']).toMatchObject({ vcpusUsed: 0, memoryMbUsed: 0, localGbUsed: 0 });
    expect(nodes['cmp2']).toMatchObject({ vcpusUsed: 2, memoryMbUsed: 1024, localGbUsed: 5 });
    // Both schedulers heard cmp2's update_instance_info and cmp1's delete_instance_info.
    const where = (m: ComputeSchedulerManager) =>
      ['cmp1', 'cmp2'].map((h) => m.endpoint.hostManager.instancesOn(h));
    await waitFor(
      () =>
        Object.values(cloud.schedulers).every(
          (m) => JSON.stringify(where(m)) === JSON.stringify([[], [inst.uuid]]),
        ),
      10_000,
      'both schedulers to know the instance runs on cmp2',
    );
  });

  it('leaves an instance that fails everywhere in ERROR with no claim held', async () => {
    for (const d of Object.values(cloud.drivers)) d.configure({ failSpawns: true });

    const inst = await cloud.api.createInstance(ctx, { vcpus: 1, memoryMb: 512, rootGb: 1 });
    const row = await cloud.settled(inst.uuid, 30_000);
    const nodes = await db.dataSource.getRepository(ComputeNodeEntity).find({ order: { id: 'ASC' } });

    expect(row).toMatchObject({ vmState: 'error', host: null });
    expect(nodes.map((n) => n.memoryMbUsed)).toEqual([0, 1024, 0]); // only the instance of the previous test
    for (const [host, m] of Object.entries(cloud.computes))
      expect(m.tracker(host).claimedInstances).toEqual([]);
    // Every scheduler forgets it on every host tried, and reads the nodes' usage back as the database has it.
    await waitFor(
      () =>
        Object.values(cloud.schedulers).every((m) =>
          ['cmp1', 'cmp2', 'cmp3'].every((h) => !m.endpoint.hostManager.instancesOn(h).includes(inst.uuid)),
        ),
      10_000,
      'every scheduler to forget the failed instance',
    );
    for (const m of Object.values(cloud.schedulers)) {
      const states = await m.endpoint.hostManager.getAllHostStates(RequestContext.admin());
      expect(states.map((st) => [st.host, st.memoryMbUsed]).sort()).toEqual([
        ['cmp1', 0],
        ['cmp2', 1024],
        ['cmp3', 0],
      ]);
    }
  });

  it('keeps heartbeats flowing through the conductor', async () => {
    const counts = async (): Promise<number[]> =>
      (
        await db.dataSource
          .getRepository(ServiceEntity)
          .find({ where: { binary: 'nova-compute' }, order: { host: 'ASC' } })
      ).map((s) => s.reportCount);

    let latest: number[] = [];
    await waitFor(
      () => {
        void counts().then((c) => (latest = c));
        return latest.length === 3 && latest.every((c) => c >= 1);
      },
      15_000,
      'a heartbeat from every compute',
    );

    expect(latest.every((c) => c >= 1)).toBe(true);
    const svc = cloud.services['cmp1']!;
    expect(
      svc.serviceGroup.isUp(
        await db.dataSource
          .getRepository(ServiceEntity)
          .findOneByOrFail({ host: 'cmp1', binary: 'nova-compute' }),
      ),
    ).toBe(true);
    expect(svc.modelDisconnected).toBe(false);
  });
});
