/**
 * Instance info reaches every scheduler: computes send update_instance_info / delete_instance_info as
 * fanout casts on the scheduler topic (Nova's SchedulerAPI prepares them with fanout=True), so with two
 * schedulers both host managers stay current, not just the one a plain cast would have reached.
 * Conductor, two compute schedulers and two computes on the real RPC layer (in-process transport) and
 * SQLite.
 */
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import { RequestContext } from '../../../src/rpc/context';
import {
  ComputeSchedulerEndpoint,
  type ComputeSchedulerManager,
} from '../../../src/scheduler/compute-scheduler';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { waitFor } from '../../contracts/transport.contract';
import { startCloud, type Cloud } from './cloud';

const ctx = new RequestContext({ userId: 'u1', projectId: 'p1', roles: ['member'] });

describe('instance info fanout to every scheduler', () => {
  let db: TestDatabase | undefined;
  let cloud: Cloud | undefined;

  afterEach(async () => {
    jest.restoreAllMocks();
    await cloud?.stop();
    await db?.drop();
    cloud = undefined;
    db = undefined;
  });

  /**
   * Counts the instance-info casts each scheduler's endpoint handles, from before the services start
   * (each compute's start-up audit sends one update_instance_info too).
   */
  function countInfo(): (scheduler: ComputeSchedulerManager) => { update: number; delete: number } {
    const counts = new Map<ComputeSchedulerEndpoint, { update: number; delete: number }>();
    const of = (e: ComputeSchedulerEndpoint) =>
      counts.get(e) ?? counts.set(e, { update: 0, delete: 0 }).get(e)!;
    const proto = ComputeSchedulerEndpoint.prototype;
    const update = proto.update_instance_info;
    const del = proto.delete_instance_info;
    jest.spyOn(proto, 'update_instance_info').mockImplementation(function (
      this: ComputeSchedulerEndpoint,
      c,
      a,
    ) {
      of(this).update += 1;
      update.call(this, c, a);
    });
    jest.spyOn(proto, 'delete_instance_info').mockImplementation(function (
      this: ComputeSchedulerEndpoint,
      c,
      a,
    ) {
      of(this).delete += 1;
      del.call(this, c, a);
    });
    return (scheduler) => ({ ...of(scheduler.endpoint) });
  }

  async function start(hosts: Parameters<typeof startCloud>[0]['hosts']): Promise<Cloud> {
    db = await createTestSqliteDatabase();
    const transport = new InProcessTransport({ defaultTimeoutMs: 5000 });
    cloud = await startCloud({
      dataSource: db.dataSource,
      makeTransport: async () => transport,
      hosts,
      schedulerHosts: ['sch1', 'sch2'],
    });
    return cloud;
  }

  it('gives both schedulers every update_instance_info, from start-up audits and builds', async () => {
    const count = countInfo();
    const c = await start({ cmp1: { memoryMb: 4096 }, cmp2: { memoryMb: 2048 } });
    const [sch1, sch2] = [c.schedulers['sch1']!, c.schedulers['sch2']!];

    const a = await c.api.createInstance(ctx, { vcpus: 1, memoryMb: 1024, rootGb: 1 });
    const b = await c.api.createInstance(ctx, { vcpus: 1, memoryMb: 1024, rootGb: 1 });
    const rows = [await c.settled(a.uuid), await c.settled(b.uuid)];
    await c.computes['cmp1']!.updateAvailableResource(RequestContext.admin()); // the periodic audit sends it too
    const seen = (m: ComputeSchedulerManager) => ({
      cmp1: m.endpoint.hostManager.instancesOn('cmp1').sort(),
      cmp2: m.endpoint.hostManager.instancesOn('cmp2').sort(),
    });
    const expected = {
      cmp1: rows
        .filter((r) => r.host === 'cmp1')
        .map((r) => r.uuid)
        .sort(),
      cmp2: rows
        .filter((r) => r.host === 'cmp2')
        .map((r) => r.uuid)
        .sort(),
    };
    // 2 start-up audits + 2 builds + 1 audit, each sent once and handled by both schedulers
    await waitFor(
      () => [sch1, sch2].every((m) => count(m).update === 5),
      5000,
      'five instance info updates on each scheduler',
    );

    expect(rows.map((r) => r.vmState)).toEqual(['active', 'active']);
    expect(expected.cmp1.length + expected.cmp2.length).toBe(2);
    // Each scheduler knows where every instance runs, whichever of them placed it.
    expect(seen(sch1)).toEqual(expected);
    expect(seen(sch2)).toEqual(expected);
    expect([count(sch1), count(sch2)]).toEqual([
      { update: 5, delete: 0 },
      { update: 5, delete: 0 },
    ]);
  });

  it('gives both schedulers the delete_instance_info of a failed build, and their view of the node returns to zero', async () => {
    const count = countInfo();
    const c = await start({ cmp1: { memoryMb: 8192, failSpawns: 1 }, cmp2: { memoryMb: 4096 } });
    const [sch1, sch2] = [c.schedulers['sch1']!, c.schedulers['sch2']!];

    const inst = await c.api.createInstance(ctx, { vcpus: 2, memoryMb: 1024, rootGb: 5 });
    const row = await c.settled(inst.uuid);
    // 2 start-up audits + the build on cmp2; the delete from cmp1
    await waitFor(
      () => [sch1, sch2].every((m) => count(m).update === 3 && count(m).delete === 1),
      5000,
      'the delete and the updates on each scheduler',
    );

    expect(c.drivers['cmp1']!.spawnAttempts).toEqual([inst.uuid]);
    expect(row).toMatchObject({ vmState: 'active', host: 'cmp2' });
    for (const scheduler of [sch1, sch2]) {
      const hm = scheduler.endpoint.hostManager;
      const states = await hm.getAllHostStates(RequestContext.admin());
      const view = Object.fromEntries(
        states.map((s) => [s.host, [s.vcpusUsed, s.memoryMbUsed, s.localGbUsed]]),
      );

      expect(hm.instancesOn('cmp1')).toEqual([]);
      expect(hm.instancesOn('cmp2')).toEqual([inst.uuid]);
      expect(view).toEqual({ cmp1: [0, 0, 0], cmp2: [2, 1024, 5] });
    }
  });

  it('keeps instance info that arrives before the scheduler has read the host’s compute node', async () => {
    const c = await start({ cmp1: { memoryMb: 2048 } });
    const hm = c.schedulers['sch2']!.endpoint.hostManager;

    hm.updateInstanceInfo('cmp9', ['i-1', 'i-2']);
    hm.deleteInstanceInfo('cmp9', 'i-1');
    hm.deleteInstanceInfo('nowhere', 'i-3');

    expect(hm.instancesOn('cmp9')).toEqual(['i-2']);
    expect(hm.instancesOn('nowhere')).toEqual([]);
    expect(
      (await hm.getAllHostStates(RequestContext.admin())).map((s) => [s.host, [...s.instances]]),
    ).toEqual([['cmp1', []]]);
  });
});
