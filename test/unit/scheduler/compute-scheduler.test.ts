import { NoValidHostError } from '../../../src/compute/errors';
import { ComputeNode, ObjectEnvironment } from '../../../src/objects';
import { RequestContext } from '../../../src/rpc/context';
import { InvalidRpcMessageError } from '../../../src/rpc/errors';
import {
  ComputeSchedulerEndpoint,
  FilterScheduler,
  HostManager,
  serviceGroupHostCheck,
} from '../../../src/scheduler/compute-scheduler';
import { ServiceGroup } from '../../../src/service/service-group';
import { InMemoryServiceRecordStore } from '../../../src/service/service-record-store';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';

const ctx = RequestContext.admin();
const spec = (over: Record<string, unknown> = {}) => ({
  instanceUuid: 'i-1',
  vcpus: 1,
  memoryMb: 512,
  rootGb: 1,
  ...over,
});

describe('compute filter scheduler', () => {
  let db: TestDatabase;
  let env: ObjectEnvironment;

  beforeEach(async () => {
    db = await createTestSqliteDatabase();
    env = ObjectEnvironment.direct('nova-scheduler', db.dataSource);
  });
  afterEach(async () => {
    await db.drop();
  });

  async function node(host: string, values: Record<string, number>): Promise<ComputeNode> {
    const n = new ComputeNode(env, ctx, {
      host,
      hypervisorHostname: host,
      vcpus: 4,
      memoryMb: 4096,
      localGb: 100,
      ...values,
    });
    await n.create();
    return n;
  }

  it('keeps hosts with enough vCPU, RAM and disk and weighs by free RAM', async () => {
    await node('small', { memoryMb: 1024 });
    await node('busy', { memoryMb: 8192, memoryMbUsed: 7900 });
    await node('big', { memoryMb: 6144 });
    await node('mid', { memoryMb: 4096 });
    await node('nocpu', { vcpus: 4, vcpusUsed: 4, memoryMb: 16384 });
    const scheduler = new FilterScheduler(new HostManager(env));

    const [dest] = await scheduler.selectDestinations(ctx, spec({ memoryMb: 2048 }));

    expect(dest).toEqual({ host: 'big', nodename: 'big', limits: { vcpus: 4, memoryMb: 6144, diskGb: 100 } });
  });

  it('consumes what it picks so several instances spread, and says why nothing fits', async () => {
    await node('a', { memoryMb: 2048 });
    await node('b', { memoryMb: 2048 });
    const scheduler = new FilterScheduler(new HostManager(env));

    const dests = await scheduler.selectDestinations(ctx, spec({ memoryMb: 1024, numInstances: 4 }));
    const err = await scheduler.selectDestinations(ctx, spec({ memoryMb: 1024 })).catch((e: unknown) => e);

    expect(dests.map((d) => d.host).sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(err).toBeInstanceOf(NoValidHostError);
    expect((err as Error).message).toContain('RamFilter removed 2');
  });

  it('refreshes a host from a newer resource report', async () => {
    const a = await node('a', { memoryMb: 2048 });
    const hm = new HostManager(env);
    const scheduler = new FilterScheduler(hm);
    await scheduler.selectDestinations(ctx, spec({ memoryMb: 2048 }));
    await new Promise((r) => setTimeout(r, 5));

    a.memoryMbUsed = 0; // the resource tracker reports: the consumed RAM was never used
    await a.save();
    const [again] = await scheduler.selectDestinations(ctx, spec({ memoryMb: 2048 }));

    expect(again?.host).toBe('a');
  });

  it('skips hosts already tried and hosts whose compute service is down or disabled', async () => {
    for (const h of ['h1', 'h2', 'h3', 'h4', 'h5']) await node(h, {});
    let clock = new Date(Date.now() - 120_000);
    const store = new InMemoryServiceRecordStore(() => clock);
    const group = new ServiceGroup(store, { serviceDownTime: 60 });
    await store.create({ host: 'h5', binary: 'nova-compute', topic: 'compute' }); // last seen two minutes ago
    clock = new Date();
    for (const h of ['h1', 'h2', 'h3'])
      await store.create({ host: h, binary: 'nova-compute', topic: 'compute' });
    const h3 = (await store.getByHostAndBinary('h3', 'nova-compute'))!;
    await store.update(h3.id, { disabled: true, disabledReason: 'maintenance' });
    const scheduler = new FilterScheduler(new HostManager(env, { isHostUp: serviceGroupHostCheck(group) }));

    const [dest] = await scheduler.selectDestinations(ctx, spec({ ignoreHosts: ['h1'] }));
    const err = await scheduler
      .selectDestinations(ctx, spec({ ignoreHosts: ['h1', 'h2'] }))
      .catch((e: unknown) => e);

    expect(dest?.host).toBe('h2'); // h3 is disabled, h4 has no service record, h5 is down
    expect((err as Error).message).toMatch(/RetryFilter removed 2, ComputeFilter removed 3/);
  });

  it('keeps instance info per host and validates requests', async () => {
    await node('a', {});
    const hm = new HostManager(env);
    const endpoint = new ComputeSchedulerEndpoint(hm);
    await hm.getAllHostStates(ctx);

    endpoint.update_instance_info(ctx, { host: 'a', instanceUuids: ['x', 'y'] });
    endpoint.delete_instance_info(ctx, { host: 'a', instanceUuid: 'x' });

    expect(hm.instancesOn('a')).toEqual(['y']);
    await expect(
      endpoint.select_destinations(ctx, { spec: { instanceUuid: 'i', vcpus: -1, memoryMb: 1, rootGb: 1 } }),
    ).rejects.toBeInstanceOf(InvalidRpcMessageError);
    expect(() => endpoint.update_instance_info(ctx, { host: 3 })).toThrow(InvalidRpcMessageError);
    await expect(
      new FilterScheduler(new HostManager(ObjectEnvironment.direct('x', db.dataSource))).selectDestinations(
        ctx,
        spec({ memoryMb: 1 << 20 }),
      ),
    ).rejects.toThrow('RamFilter');
  });
});
