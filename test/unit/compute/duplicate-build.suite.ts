/**
 * Casts arrive at least once (the AMQP transport publishes a cast again when the connection dropped
 * before its confirm), so the conductor's build_instances and the compute's build_and_run_instance must
 * be safe to receive twice: a copy delivered at the same moment as the first, or later (after the build
 * finished, or after a failed build was rescheduled) must not claim twice, spawn twice, count the node's
 * usage twice, or schedule an instance whose build is under way or over. Conductor, scheduler and
 * computes on the real RPC layer (in-process transport, every cast recorded and redelivered with its
 * messageId) and a real database; "two processes" are two services of the same topic and host.
 * Run by `duplicate-build.test.ts` (SQLite) and `test/integration/compute/duplicate-build.int.test.ts`
 * (MariaDB, where the compare-and-sets race on separate connections).
 */
import { v4 as uuidv4 } from 'uuid';
import { ComputeManager } from '../../../src/compute/compute-manager';
import { FakeVirtDriver } from '../../../src/compute/fake-driver';
import { ResourceTracker } from '../../../src/compute/resource-tracker';
import { createComputeService, createConductorService } from '../../../src/compute/services';
import { ComputeTaskEndpoint } from '../../../src/conductor/compute-task';
import { ComputeNodeEntity } from '../../../src/db/entities/compute-node.entity';
import { InstanceEntity } from '../../../src/db/entities/instance.entity';
import {
  Instance,
  ObjectEnvironment,
  UnexpectedInstanceStateError,
  UnexpectedTaskStateError,
} from '../../../src/objects';
import { RequestContext } from '../../../src/rpc/context';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import type {
  CallOptions,
  MessageHandler,
  RpcMessage,
  Subscription,
  Target,
  Transport,
} from '../../../src/rpc/transport';
import { ComputeSchedulerEndpoint } from '../../../src/scheduler/compute-scheduler';
import { ServiceLauncher } from '../../../src/service/launcher';
import { waitFor } from '../../contracts/transport.contract';
import type { TestDatabase } from '../../helpers/db';
import { startCloud, type Cloud, type HostSpec } from './cloud';

const ctx = new RequestContext({ userId: 'u1', projectId: 'p1', roles: ['member'] });
const settings = { periodicEnable: false, reportInterval: 0 };

interface RecordedCast {
  readonly target: Target;
  readonly message: RpcMessage;
}

/** The in-process transport, recording every cast; casts of the methods in `twice` are delivered twice at once. */
class DuplicatingTransport implements Transport {
  readonly description = 'in-process, casts recorded';
  readonly casts: RecordedCast[] = [];
  readonly twice = new Set<string>();
  constructor(private readonly inner: InProcessTransport) {}
  connect(): Promise<void> {
    return this.inner.connect();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  listen(
    target: { readonly topic: string; readonly server: string; readonly fanout?: boolean },
    handler: MessageHandler,
  ): Promise<Subscription> {
    return this.inner.listen(target, handler);
  }
  call(target: Target, message: RpcMessage, options?: CallOptions): Promise<unknown> {
    return this.inner.call(target, message, options);
  }
  /** Runs after each cast was handed on and before the cast returns (a publisher confirm that is slow to come). */
  afterCast: ((c: RecordedCast) => Promise<void>) | undefined;
  async cast(target: Target, message: RpcMessage): Promise<void> {
    this.casts.push({ target, message });
    try {
      await this.deliver(target, message);
    } finally {
      await this.afterCast?.({ target, message });
    }
  }
  private async deliver(target: Target, message: RpcMessage): Promise<void> {
    if (this.twice.has(message.method))
      await Promise.all([this.inner.cast(target, message), this.inner.cast(target, message)]);
    else await this.inner.cast(target, message);
  }
  /** The recorded casts of `method` (build casts: to the conductor or to one compute). */
  of(method: string, server?: string): RecordedCast[] {
    return this.casts.filter(
      (c) => c.message.method === method && (server === undefined || c.target.server === server),
    );
  }
  /** Delivers a recorded cast again, the same message (messageId included), as a broker delivers a copy. */
  redeliver(c: RecordedCast): Promise<void> {
    return this.inner.cast(c.target, c.message);
  }
}

type AsyncMethod = (...args: never[]) => Promise<unknown>;

/**
 * Counts the calls of the wrapped methods (every instance) and remembers their promises, so a test can
 * wait until everything a redelivery set off has been handled.
 */
class Handled {
  readonly calls = new Map<string, number>();
  /** Claims granted, as `node:uuid`. */
  readonly claims: string[] = [];
  private readonly pending = new Set<Promise<unknown>>();

  constructor() {
    this.wrap(ComputeTaskEndpoint.prototype, 'build_instances');
    this.wrap(ComputeManager.prototype, 'build_and_run_instance');
    this.wrap(ComputeSchedulerEndpoint.prototype, 'select_destinations');
    const claims = this.claims;
    const claim = ResourceTracker.prototype.instanceClaim;
    jest.spyOn(ResourceTracker.prototype, 'instanceClaim').mockImplementation(async function (
      this: ResourceTracker,
      ...args
    ) {
      await claim.apply(this, args);
      claims.push(`${this.nodename}:${args[1].uuid}`);
    });
  }

  private wrap<T extends object, K extends keyof T & string>(proto: T, method: K): void {
    const original = proto[method] as unknown as AsyncMethod;
    const { calls, pending } = this;
    const spy = jest.spyOn(proto, method as never) as unknown as jest.SpyInstance;
    spy.mockImplementation(async function (this: unknown, ...args: never[]): Promise<unknown> {
      calls.set(method, (calls.get(method) ?? 0) + 1);
      const p = original.apply(this, args);
      pending.add(p);
      try {
        return await p;
      } finally {
        pending.delete(p);
      }
    });
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  /** Until nothing has been in progress for two consecutive looks 20 ms apart (casts are asynchronous). */
  async idle(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > end)
        throw new Error(`still handling ${this.pending.size} build messages after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
      quiet = this.pending.size === 0 ? quiet + 1 : 0;
    }
  }
}

export function duplicateBuildSuite(name: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`builds delivered more than once (at-least-once casts) (${name})`, () => {
    let db: TestDatabase | undefined;
    let cloud: Cloud | undefined;
    let extra: ServiceLauncher | undefined;
    let transport: DuplicatingTransport;
    let handled: Handled;

    beforeEach(() => {
      handled = new Handled();
    });

    afterEach(async () => {
      await extra?.stop();
      await cloud?.stop();
      await db?.drop();
      jest.restoreAllMocks();
      extra = cloud = db = undefined;
    });

    async function start(hosts: Record<string, HostSpec>): Promise<Cloud> {
      db = await makeDb();
      transport = new DuplicatingTransport(new InProcessTransport({ defaultTimeoutMs: 5000 }));
      cloud = await startCloud({ dataSource: db.dataSource, makeTransport: async () => transport, hosts });
      return cloud;
    }

    /** A second conductor process (same topic, round-robin), or a second compute process for `host`. */
    async function second(
      kind: 'conductor' | { compute: string; memoryMb: number },
    ): Promise<FakeVirtDriver | undefined> {
      extra ??= new ServiceLauncher();
      let driver: FakeVirtDriver | undefined;
      if (kind === 'conductor') {
        extra.add(createConductorService({ settings, host: 'ctl2', transport, dataSource: db!.dataSource }));
      } else {
        driver = new FakeVirtDriver({ host: kind.compute, vcpus: 4, memoryMb: kind.memoryMb, diskGb: 100 });
        extra.add(
          createComputeService({
            settings,
            host: kind.compute,
            transport,
            driver,
            conductorTimeoutMs: 10_000,
          }),
        );
      }
      await extra.start();
      return driver;
    }

    const row = (uuid: string): Promise<InstanceEntity> =>
      db!.dataSource.getRepository(InstanceEntity).findOneByOrFail({ uuid });

    async function nodes(): Promise<Record<string, ComputeNodeEntity>> {
      const all = await db!.dataSource.getRepository(ComputeNodeEntity).find({ where: { deleted: 0 } });
      return Object.fromEntries(all.map((n) => [n.host, n]));
    }

    /** The node usage of each host, as saved, and again after a resource audit of every compute. */
    async function usage(): Promise<Record<string, [number, number, number]>> {
      const of = async () =>
        Object.fromEntries(
          Object.entries(await nodes()).map(([h, n]) => [
            h,
            [n.vcpusUsed, n.memoryMbUsed, n.runningVms] as [number, number, number],
          ]),
        );
      const saved = await of();
      for (const c of Object.values(cloud!.computes)) await c.updateAvailableResource(RequestContext.admin());
      expect(await of()).toEqual(saved);
      return saved;
    }

    async function build(): Promise<string> {
      const inst = await cloud!.api.createInstance(ctx, { vcpus: 2, memoryMb: 1024, rootGb: 10 });
      const r = await cloud!.settled(inst.uuid);
      await handled.idle();
      expect(r.vmState).toBe('active');
      return inst.uuid;
    }

    describe('compute build_and_run_instance', () => {
      it('twice at once on one compute: one claim, one spawn, usage counted once, ACTIVE', async () => {
        const { drivers, computes } = await start({ cmp1: { memoryMb: 4096 } });
        transport.twice.add('build_and_run_instance');

        const uuid = await build();

        expect(handled.count('build_and_run_instance')).toBe(2);
        expect(handled.claims).toEqual([`cmp1:${uuid}`]);
        expect(drivers['cmp1']!.spawnAttempts).toEqual([uuid]);
        expect(await usage()).toEqual({ cmp1: [2, 1024, 1] });
        expect(await row(uuid)).toMatchObject({
          vmState: 'active',
          taskState: null,
          host: 'cmp1',
          node: 'cmp1',
        });
        expect(computes['cmp1']!.tracker('cmp1').claimedInstances).toEqual([]);
      });

      it('twice at once, one copy to each of two compute processes of the host: the compare-and-set lets one claim and spawn', async () => {
        const { drivers } = await start({ cmp1: { memoryMb: 4096 } });
        const other = (await second({ compute: 'cmp1', memoryMb: 4096 }))!;
        transport.twice.add('build_and_run_instance');

        const uuid = await build();

        expect(handled.count('build_and_run_instance')).toBe(2);
        expect(handled.claims).toEqual([`cmp1:${uuid}`]);
        expect([...drivers['cmp1']!.spawnAttempts, ...other.spawnAttempts]).toEqual([uuid]);
        const n = (await nodes())['cmp1']!;
        expect([n.vcpusUsed, n.memoryMbUsed, n.runningVms]).toEqual([2, 1024, 1]);
        expect(await row(uuid)).toMatchObject({ vmState: 'active', taskState: null, host: 'cmp1' });
      });

      it('again after the build finished: nothing happens', async () => {
        const { drivers } = await start({ cmp1: { memoryMb: 4096 } });
        const uuid = await build();

        await transport.redeliver(transport.of('build_and_run_instance')[0]!);
        await handled.idle();

        expect(handled.count('build_and_run_instance')).toBe(2);
        expect(handled.claims).toEqual([`cmp1:${uuid}`]);
        expect(drivers['cmp1']!.spawnAttempts).toEqual([uuid]);
        expect(await usage()).toEqual({ cmp1: [2, 1024, 1] });
        expect(await row(uuid)).toMatchObject({ vmState: 'active', host: 'cmp1' });
      });

      it('a late copy for a host the instance left is ignored while it waits for its reschedule, and once sent elsewhere', async () => {
        const { drivers } = await start({
          cmp1: { memoryMb: 8192, failSpawns: 1 },
          cmp2: { memoryMb: 4096 },
        });
        const uuid = await build();
        const first = transport.of('build_and_run_instance', 'cmp1')[0]!;
        const repo = db!.dataSource.getRepository(InstanceEntity);

        // As the failed build's revert leaves it (host cleared, scheduling), then as the conductor leaves it
        // once it picked cmp2 (host recorded, not claimed yet).
        for (const placement of [
          { host: null, node: null },
          { host: 'cmp2', node: 'cmp2' },
        ]) {
          await repo.update({ uuid }, { ...placement, vmState: 'building', taskState: 'scheduling' });
          await transport.redeliver(first);
          await handled.idle();
          expect(await row(uuid)).toMatchObject({
            ...placement,
            vmState: 'building',
            taskState: 'scheduling',
          });
        }

        expect(drivers['cmp1']!.spawnAttempts).toEqual([uuid]);
        expect(handled.claims).toEqual([`cmp1:${uuid}`, `cmp2:${uuid}`]);
        expect((await nodes())['cmp1']).toMatchObject({ vcpusUsed: 0, runningVms: 0 });
      });
    });

    describe('conductor build_instances', () => {
      it('twice at once on one conductor: scheduled once, one claim, one spawn, ACTIVE', async () => {
        const { drivers } = await start({ cmp1: { memoryMb: 4096 }, cmp2: { memoryMb: 4096 } });
        transport.twice.add('build_instances');

        const uuid = await build();

        expect(handled.count('build_instances')).toBe(2);
        expect(handled.count('select_destinations')).toBe(1);
        expect(transport.of('build_and_run_instance')).toHaveLength(1);
        expect(handled.claims).toHaveLength(1);
        expect([...drivers['cmp1']!.spawnAttempts, ...drivers['cmp2']!.spawnAttempts]).toEqual([uuid]);
        const u = await usage();
        expect(u['cmp1']![0] + u['cmp2']![0]).toBe(2);
      });

      it('twice at once, one copy to each of two conductors: the compare-and-set on the host lets one cast the build', async () => {
        const { drivers } = await start({ cmp1: { memoryMb: 4096 }, cmp2: { memoryMb: 4096 } });
        await second('conductor');
        transport.twice.add('build_instances');

        const uuid = await build();

        expect(handled.count('build_instances')).toBe(2);
        expect(transport.of('build_and_run_instance')).toHaveLength(1);
        expect(handled.claims).toHaveLength(1);
        expect([...drivers['cmp1']!.spawnAttempts, ...drivers['cmp2']!.spawnAttempts]).toEqual([uuid]);
        const u = await usage();
        expect(u['cmp1']![0] + u['cmp2']![0]).toBe(2);
        expect(await row(uuid)).toMatchObject({ vmState: 'active', taskState: null });
      });

      it('again after the build finished: not scheduled again', async () => {
        await start({ cmp1: { memoryMb: 4096 } });
        const uuid = await build();

        await transport.redeliver(transport.of('build_instances')[0]!);
        await handled.idle();

        expect(handled.count('build_instances')).toBe(2);
        expect(handled.count('select_destinations')).toBe(1);
        expect(transport.of('build_and_run_instance')).toHaveLength(1);
        expect(await usage()).toEqual({ cmp1: [2, 1024, 1] });
        expect(await row(uuid)).toMatchObject({ vmState: 'active', host: 'cmp1' });
      });

      it('again for an instance in ERROR or deleted: nothing happens', async () => {
        await start({ cmp1: { memoryMb: 4096 } });
        const uuid = await build();
        const repo = db!.dataSource.getRepository(InstanceEntity);
        const again = transport.of('build_instances')[0]!;

        await repo.update({ uuid }, { vmState: 'error', taskState: null, host: null, node: null });
        await transport.redeliver(again);
        await handled.idle();
        await repo.update({ uuid }, { vmState: 'building', taskState: 'scheduling', deleted: true });
        await transport.redeliver(again);
        await handled.idle();

        expect(handled.count('select_destinations')).toBe(1);
        expect(transport.of('build_and_run_instance')).toHaveLength(1);
        expect(await row(uuid)).toMatchObject({
          vmState: 'building',
          taskState: 'scheduling',
          host: null,
          deleted: true,
        });
      });
    });

    describe('after a failed build was rescheduled', () => {
      const hosts = { cmp1: { memoryMb: 8192, failSpawns: true }, cmp2: { memoryMb: 4096 } };

      async function expectBuiltOnceOnCmp2(uuid: string): Promise<void> {
        expect(cloud!.drivers['cmp1']!.spawnAttempts).toEqual([uuid]);
        expect(cloud!.drivers['cmp2']!.spawnAttempts).toEqual([uuid]);
        expect(handled.claims).toEqual([`cmp1:${uuid}`, `cmp2:${uuid}`]);
        expect(await usage()).toEqual({ cmp1: [0, 0, 0], cmp2: [2, 1024, 1] });
        expect(await row(uuid)).toMatchObject({
          vmState: 'active',
          taskState: null,
          host: 'cmp2',
          node: 'cmp2',
        });
        expect(cloud!.computes['cmp1']!.tracker('cmp1').claimedInstances).toEqual([]);
        expect(cloud!.computes['cmp2']!.tracker('cmp2').claimedInstances).toEqual([]);
      }

      it('a reschedule that reaches the conductor before its cast to the failed compute returned is not taken for a copy', async () => {
        await start(hosts);
        // The cast to cmp1 returns only once cmp1 failed the build and asked for a reschedule.
        transport.afterCast = async (c) => {
          if (c.message.method === 'build_and_run_instance' && c.target.server === 'cmp1') {
            await waitFor(() => transport.of('build_instances').length >= 2, 5000, 'the reschedule');
          }
        };

        const uuid = await build();

        expect(handled.count('build_instances')).toBe(2);
        await expectBuiltOnceOnCmp2(uuid);
      });

      it('every build cast delivered again afterwards: nothing happens', async () => {
        await start(hosts);
        const uuid = await build();
        expect(transport.of('build_instances')).toHaveLength(2); // the API's and the reschedule
        expect(transport.of('build_and_run_instance').map((c) => c.target.server)).toEqual(['cmp1', 'cmp2']);

        for (const c of [...transport.casts].filter((x) =>
          ['build_instances', 'build_and_run_instance'].includes(x.message.method),
        )) {
          await transport.redeliver(c);
          await handled.idle();
        }

        expect(handled.count('select_destinations')).toBe(2);
        expect(transport.of('build_and_run_instance')).toHaveLength(2);
        await expectBuiltOnceOnCmp2(uuid);
      });

      it('every build cast delivered twice at once, to two conductors: built once on the second host', async () => {
        await start(hosts);
        await second('conductor');
        transport.twice.add('build_instances');
        transport.twice.add('build_and_run_instance');

        const uuid = await build();

        expect(handled.count('build_instances')).toBe(4);
        expect(handled.count('build_and_run_instance')).toBe(4);
        expect(transport.of('build_and_run_instance').map((c) => c.target.server)).toEqual(['cmp1', 'cmp2']);
        await expectBuiltOnceOnCmp2(uuid);
      });
    });
  });

  describe(`Instance.save with an expected host, node and vm state (compare-and-set) (${name})`, () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await makeDb();
    });
    afterAll(async () => {
      await db.drop();
    });

    it('of two writers expecting the same unplaced instance exactly one moves it; the other learns why', async () => {
      const uuid = uuidv4();
      const env = ObjectEnvironment.direct('nova-conductor', db.dataSource);
      const inst = new Instance(env, ctx, {
        uuid,
        projectId: 'p1',
        userId: 'u1',
        vcpus: 1,
        memoryMb: 1,
        rootGb: 1,
        vmState: 'building',
        taskState: 'scheduling',
      });
      await inst.create();
      const [a, b] = [await Instance.getByUuid(env, ctx, uuid), await Instance.getByUuid(env, ctx, uuid)];
      a.host = a.node = 'cmp1';
      b.host = b.node = 'cmp2';

      const results = await Promise.allSettled(
        [a, b].map((i) => i.save(['scheduling'], { host: null, node: null, vmState: 'building' })),
      );

      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!
        .reason as unknown;
      expect(lost).toBeInstanceOf(UnexpectedInstanceStateError);
      const winner = results[0]!.status === 'fulfilled' ? 'cmp1' : 'cmp2';
      expect(await Instance.getByUuid(env, ctx, uuid)).toMatchObject({
        host: winner,
        node: winner,
        taskState: 'scheduling',
      });

      const late = await Instance.getByUuid(env, ctx, uuid);
      late.taskState = 'spawning';
      await expect(late.save(['spawning'], { host: winner })).rejects.toBeInstanceOf(
        UnexpectedTaskStateError,
      );
    });
  });
}
