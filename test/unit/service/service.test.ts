import { EventEmitter } from 'node:events';
import { RpcClient } from '../../../src/rpc/client';
import { RequestContext } from '../../../src/rpc/context';
import { NoSuchMethodError } from '../../../src/rpc/errors';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import type { MessageHandler, Subscription, Transport } from '../../../src/rpc/transport';
import { ServiceLauncher } from '../../../src/service/launcher';
import { Manager, type ManagerOptions } from '../../../src/service/manager';
import { periodicTask } from '../../../src/service/periodic-task';
import {
  registerManagerFactory,
  Service,
  ServiceStartError,
  type LaunchableService,
} from '../../../src/service/service';
import {
  InMemoryServiceRecordStore,
  ServiceExistsError,
  type NewServiceRecord,
  type ServiceRecord,
} from '../../../src/service/service-record-store';
import { RecordingLogger } from './recording-logger';

const s = (n: number): number => n * 1000;
const ctx = new RequestContext({ requestId: 'req-test' });

class RecordingManager extends Manager {
  override readonly rpcApiVersion = '3.1';
  events: string[];
  failAt: string | undefined;
  constructor(options: ManagerOptions & { events?: string[]; failAt?: string }) {
    super(options);
    this.events = options.events ?? [];
    this.failAt = options.failAt;
  }
  private hook(name: string): void {
    this.events.push(name);
    if (this.failAt === name) throw new Error(`${name} failed`);
  }
  override async initHost(): Promise<void> {
    this.hook('initHost');
  }
  override async preStartHook(ref: ServiceRecord): Promise<void> {
    this.hook(`preStartHook(${ref.id})`);
  }
  override async postStartHook(): Promise<void> {
    this.hook('postStartHook');
  }
  override async cleanupHost(): Promise<void> {
    this.hook('cleanupHost');
  }
  override async reset(): Promise<void> {
    this.hook('reset');
  }
  @periodicTask({ spacing: 20, runImmediately: true })
  async audit(): Promise<void> {
    this.events.push('periodic:audit');
  }
  async note(_ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    this.events.push(`note:${this.host}:${String(args['tag'])}`);
  }
  async whoAmI(_ctx: RequestContext, args: Record<string, unknown>): Promise<string> {
    return `${this.host}:${String(args['tag'] ?? '')}`;
  }
}

/** Records the order of store and transport operations next to the manager hooks. */
function recordingStore(events: string[]): InMemoryServiceRecordStore {
  const store = new InMemoryServiceRecordStore();
  const getOrCreate = store.getOrCreate.bind(store);
  const reportState = store.reportState.bind(store);
  jest.spyOn(store, 'getOrCreate').mockImplementation(async (v: NewServiceRecord) => {
    events.push('serviceRecord');
    return getOrCreate(v);
  });
  jest.spyOn(store, 'reportState').mockImplementation(async (id: number) => {
    events.push('heartbeat');
    return reportState(id);
  });
  return store;
}

function recordingTransport(inner: Transport, events: string[]): Transport {
  return {
    description: inner.description,
    connect: () => inner.connect(),
    close: () => inner.close(),
    call: (t, m, o) => inner.call(t, m, o),
    cast: (t, m) => inner.cast(t, m),
    listen: async (target, handler: MessageHandler): Promise<Subscription> => {
      events.push(`listen(${target.topic},${target.server},fanout=${String(target.fanout)})`);
      const sub = await inner.listen(target, handler);
      return {
        close: async () => {
          events.push('unlisten');
          await sub.close();
        },
      };
    },
  };
}

describe('Service', () => {
  let transport: InProcessTransport;

  beforeEach(() => {
    jest.useFakeTimers({
      now: new Date('2030-01-01T00:00:00Z'),
      doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'],
    });
    transport = new InProcessTransport();
  });
  afterEach(async () => {
    await transport.close();
    jest.useRealTimers();
  });

  function make(
    events: string[],
    extra: Partial<Parameters<typeof Service.create>[0]> = {},
    failAt?: string,
  ): Service {
    return Service.create({
      host: 'node1',
      binary: 'cinder-volume',
      manager: (o) => new RecordingManager({ ...o, events, ...(failAt !== undefined ? { failAt } : {}) }),
      transport: recordingTransport(transport, events),
      store: recordingStore(events),
      settings: { periodicFuzzyDelay: 0 },
      ...extra,
    });
  }

  it('starts in DESIGN order: initHost, record, preStartHook, RPC, postStartHook, heartbeats, periodic tasks', async () => {
    const events: string[] = [];
    const service = make(events, {
      settings: { periodicFuzzyDelay: 3, reportInterval: 10 },
      random: () => 0.99,
    });

    await service.start();
    const afterStart = [...events];
    await jest.advanceTimersByTimeAsync(s(5));

    expect(afterStart).toEqual([
      'initHost',
      'serviceRecord',
      'preStartHook(1)',
      'listen(volume,node1,fanout=true)',
      'postStartHook',
    ]);
    // fuzzy delay floor(0.99 × 4) = 3 s → periodic at 3; first heartbeat at 5
    expect(events.slice(afterStart.length)).toEqual(['periodic:audit', 'heartbeat']);
    expect(service.state).toBe('running');
    await service.stop();
  });

  it('stops in reverse: periodic tasks and heartbeats end, RPC stops, then cleanupHost', async () => {
    const events: string[] = [];
    const service = make(events);
    await service.start();
    await jest.advanceTimersByTimeAsync(s(6));
    events.length = 0;

    await service.stop();
    await service.stop();
    await jest.advanceTimersByTimeAsync(s(120));

    expect(events).toEqual(['unlisten', 'cleanupHost']);
    expect(service.state).toBe('stopped');
    await expect(service.wait()).resolves.toBeUndefined();
  });

  it('fills defaults: topic from the binary, binary from the topic, manager by topic, host from settings', () => {
    registerManagerFactory('widget', (o) => new RecordingManager(o));
    const store = new InMemoryServiceRecordStore();

    const byBinary = Service.create({
      binary: 'nova-widget',
      transport,
      store,
      settings: { host: 'cfg-host' },
    });
    const byTopic = Service.create({
      topic: 'compute',
      transport,
      store,
      host: 'n2',
      manager: (o) => new Manager(o),
    });

    expect(byBinary).toMatchObject({ topic: 'widget', host: 'cfg-host', binary: 'nova-widget' });
    expect(byBinary.manager).toBeInstanceOf(RecordingManager);
    expect(byBinary.manager.serviceName).toBe('widget');
    expect(byBinary.settings).toMatchObject({
      reportInterval: 10,
      serviceDownTime: 60,
      periodicIntervalMax: 60,
      periodicFuzzyDelay: 60,
    });
    expect(byTopic.binary).toBe('nova-compute');
    expect(() => Service.create({ topic: 'nothing-registered-here', transport, store })).toThrow(
      'no manager',
    );
    expect(() => Service.create({ transport, store })).toThrow('binary or a topic');
    expect(() =>
      Service.create({
        topic: 'compute',
        transport,
        store,
        manager: new Manager({ host: 'other' }),
        host: 'n3',
      }),
    ).toThrow("built for host 'other'");
    expect(() =>
      Service.create({
        topic: 'compute',
        transport,
        store,
        manager: (o) => new Manager(o),
        settings: { reportInterval: -1 },
      }),
    ).toThrow('reportInterval');
  });

  it('serves the manager over RPC on topic, topic.host and fanout, but not base-class methods', async () => {
    const events: string[] = [];
    const a = make(events, { settings: { periodicEnable: false } });
    const b = Service.create({
      host: 'node2',
      binary: 'cinder-volume',
      manager: (o) => new RecordingManager({ ...o, events }),
      transport,
      store: new InMemoryServiceRecordStore(),
      settings: { periodicEnable: false },
    });
    await a.start();
    await b.start();
    const client = new RpcClient(transport, { topic: 'volume' }, { version: '3.0' });

    const direct = await client.prepare({ server: 'node2' }).call(ctx, 'whoAmI', { tag: 'x' });
    const shared = new Set([await client.call(ctx, 'whoAmI'), await client.call(ctx, 'whoAmI')]);
    await client.prepare({ fanout: true }).cast(ctx, 'note', { tag: 'all' });
    await client.prepare({ fanout: true }).cast(ctx, 'reset');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));

    expect(direct).toBe('node2:x');
    expect(shared).toEqual(new Set(['node1:', 'node2:']));
    expect(events.filter((e) => e.startsWith('note:')).sort()).toEqual(['note:node1:all', 'note:node2:all']);
    expect(events).not.toContain('reset');
    await expect(client.call(ctx, 'initHost')).rejects.toBeInstanceOf(NoSuchMethodError);
    await expect(client.call(ctx, 'cleanupHost')).rejects.toBeInstanceOf(NoSuchMethodError);
    await expect(client.call(ctx, 'runPeriodicTasks')).rejects.toBeInstanceOf(NoSuchMethodError);
    await a.stop();
    await b.stop();
  });

  it('uses the record a concurrent sibling created first', async () => {
    const store = new InMemoryServiceRecordStore();
    const realCreate = store.create.bind(store);
    let sibling: ServiceRecord | undefined;
    jest.spyOn(store, 'create').mockImplementation(async (v) => {
      sibling = await realCreate(v); // the sibling wins the race between our read and our insert
      throw new ServiceExistsError(v.host, v.binary);
    });
    const service = Service.create({
      host: 'node1',
      binary: 'cinder-volume',
      manager: (o) => new Manager(o),
      transport,
      store,
      settings: { periodicEnable: false },
    });

    await service.start();

    expect(service.serviceRef?.id).toBe(sibling?.id);
    expect(await store.list()).toHaveLength(1);
    await service.stop();
  });

  it('two services racing for one host+binary end up on the same record', async () => {
    const store = new InMemoryServiceRecordStore();
    const mk = (): Service =>
      Service.create({
        host: 'n',
        binary: 'cinder-volume',
        manager: (o) => new Manager(o),
        transport,
        store,
        settings: { periodicEnable: false },
      });
    const [x, y] = [mk(), mk()];

    await Promise.all([x.start(), y.start()]);

    expect(x.serviceRef!.id).toBe(y.serviceRef!.id);
    expect(await store.list()).toHaveLength(1);
    await Promise.all([x.stop(), y.stop()]);
  });

  it('undoes a half-done start and reports the failed step', async () => {
    const events: string[] = [];
    const service = make(events, {}, 'postStartHook');

    const err = await service.start().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ServiceStartError);
    expect(err).toMatchObject({ step: 'postStartHook', binary: 'cinder-volume', host: 'node1' });
    expect(events).toEqual([
      'initHost',
      'serviceRecord',
      'preStartHook(1)',
      'listen(volume,node1,fanout=true)',
      'postStartHook',
      'unlisten',
      'cleanupHost',
    ]);
    expect(service.state).toBe('failed');
    await expect(new RpcClient(transport, { topic: 'volume' }).cast(ctx, 'whoAmI')).rejects.toThrow(
      'no server listens',
    );
  });

  it('runs periodic tasks on the idle the runner returns, capped by periodic_interval_max', async () => {
    const events: string[] = [];
    const service = make(events, {
      settings: { periodicFuzzyDelay: 0, periodicIntervalMax: 15, reportInterval: 0 },
    });

    await service.start();
    await jest.advanceTimersByTimeAsync(s(46));
    await service.stop();

    // audit (spacing 20, immediate) runs at 0; the runner idles min(20, 15) = 15, and the task is
    // due again at 20 → runs at 30 (next pass) → 45
    const runs = events.filter((e) => e === 'periodic:audit');
    expect(runs).toHaveLength(3);
  });

  it('heartbeats keep it up and it goes down after service_down_time once stopped', async () => {
    const store = new InMemoryServiceRecordStore();
    const service = Service.create({
      host: 'n',
      binary: 'cinder-volume',
      manager: (o) => new Manager(o),
      transport,
      store,
      settings: { periodicEnable: false, reportInterval: 10, serviceDownTime: 30 },
    });
    await service.start();

    await jest.advanceTimersByTimeAsync(s(100));
    const upWhileRunning = service.serviceGroup.isUp((await store.getByHostAndBinary('n', 'cinder-volume'))!);
    const count = (await store.getByHostAndBinary('n', 'cinder-volume'))!.reportCount;
    await service.stop();
    await jest.advanceTimersByTimeAsync(s(31));
    const upAfter = service.serviceGroup.isUp((await store.getByHostAndBinary('n', 'cinder-volume'))!);

    expect(upWhileRunning).toBe(true);
    expect(count).toBe(10); // 5, 15, …, 95
    expect(upAfter).toBe(false);
  });

  it('is up as soon as start() resolves after a restart, its record stale from the previous run', async () => {
    const store = new InMemoryServiceRecordStore();
    const settings = { periodicEnable: false, reportInterval: 10, serviceDownTime: 60 };
    const make = () =>
      Service.create({
        host: 'n',
        binary: 'cinder-volume',
        manager: (o) => new Manager(o),
        transport,
        store,
        settings,
      });
    const first = make();
    await first.start();
    await jest.advanceTimersByTimeAsync(s(20)); // heartbeats at 5 and 15
    await first.stop();
    await jest.advanceTimersByTimeAsync(s(600)); // down for ten minutes
    const downWhileStopped = !(await first.serviceGroup.listWithState())[0]!.up;

    const second = make();
    await second.start();
    const rows = await second.serviceGroup.listWithState();
    await second.stop();

    expect(downWhileStopped).toBe(true);
    expect(rows.map((r) => [r.id, r.up, r.reportCount])).toEqual([[1, true, 3]]);
  });

  it('stays up through its first seconds with service_down_time under 5 s (first heartbeat after min(5 s, interval))', async () => {
    const store = new InMemoryServiceRecordStore();
    const service = Service.create({
      host: 'n',
      binary: 'cinder-volume',
      manager: (o) => new Manager(o),
      transport,
      store,
      settings: { periodicEnable: false, reportInterval: 1, serviceDownTime: 3 },
    });
    await service.start();

    const seen: boolean[] = [];
    for (let i = 0; i < 40; i += 1) {
      seen.push((await service.serviceGroup.listWithState())[0]!.up);
      await jest.advanceTimersByTimeAsync(s(0.25));
    }
    const count = (await store.getByHostAndBinary('n', 'cinder-volume'))!.reportCount;
    await service.stop();

    expect(seen.every((up) => up)).toBe(true);
    expect(count).toBe(10); // at 1, 2, …, 10 s
  });
});

describe('ServiceLauncher', () => {
  class FakeService implements LaunchableService {
    constructor(
      readonly name: string,
      private readonly events: string[],
      private readonly failStart = false,
    ) {}
    async start(): Promise<void> {
      this.events.push(`start ${this.name}`);
      if (this.failStart) throw new Error(`${this.name} cannot start`);
    }
    async stop(): Promise<void> {
      this.events.push(`stop ${this.name}`);
    }
    async reset(): Promise<void> {
      this.events.push(`reset ${this.name}`);
    }
  }

  it('starts services in order and stops them in reverse', async () => {
    const events: string[] = [];
    const launcher = new ServiceLauncher();
    for (const n of ['api', 'scheduler', 'volume']) launcher.add(new FakeService(n, events));

    await launcher.start();
    await launcher.stop();
    await launcher.stop();

    expect(events).toEqual([
      'start api',
      'start scheduler',
      'start volume',
      'stop volume',
      'stop scheduler',
      'stop api',
    ]);
    await expect(launcher.wait()).resolves.toBeUndefined();
  });

  it('stops the started services when one fails to start', async () => {
    const events: string[] = [];
    const launcher = new ServiceLauncher({ logger: new RecordingLogger() });
    launcher
      .add(new FakeService('a', events))
      .add(new FakeService('b', events))
      .add(new FakeService('c', events, true));

    await expect(launcher.start()).rejects.toThrow('c cannot start');

    expect(events).toEqual(['start a', 'start b', 'start c', 'stop b', 'stop a']);
  });

  it('resets on SIGHUP and stops gracefully on SIGTERM, then removes its handlers', async () => {
    const events: string[] = [];
    const signals = new EventEmitter();
    const launcher = new ServiceLauncher();
    launcher.add(new FakeService('a', events)).add(new FakeService('b', events));
    await launcher.start();
    launcher.handleSignals(signals);

    signals.emit('SIGHUP');
    await new Promise((r) => setImmediate(r));
    signals.emit('SIGTERM');
    await launcher.wait();
    await new Promise((r) => setImmediate(r));

    expect(events).toEqual(['start a', 'start b', 'reset a', 'reset b', 'stop b', 'stop a']);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(signals.listenerCount('SIGHUP')).toBe(0);
  });

  it('runs real services: SIGHUP reaches manager.reset, SIGTERM runs cleanupHost', async () => {
    const transport = new InProcessTransport();
    const store = new InMemoryServiceRecordStore();
    const events: string[] = [];
    const mk = (binary: string): Service =>
      Service.create({
        host: 'allinone',
        binary,
        manager: (o) => new RecordingManager({ ...o, events }),
        transport,
        store,
        settings: { periodicEnable: false, reportInterval: 0 },
      });
    const launcher = new ServiceLauncher();
    launcher.add(mk('cinder-scheduler')).add(mk('cinder-volume'));
    const signals = new EventEmitter();
    await launcher.start();
    launcher.handleSignals(signals);

    signals.emit('SIGHUP');
    await new Promise((r) => setImmediate(r));
    signals.emit('SIGTERM');
    await launcher.wait();

    expect(events.filter((e) => e === 'reset')).toHaveLength(2);
    expect(events.filter((e) => e === 'cleanupHost')).toHaveLength(2);
    expect((await store.list()).map((r) => r.topic)).toEqual(['scheduler', 'volume']);
    await transport.close();
  });
});

describe('Service stop during start', () => {
  it('waits for the start to finish, then tears everything down', async () => {
    const transport = new InProcessTransport();
    const events: string[] = [];
    let releaseInit!: () => void;
    const gate = new Promise<void>((r) => (releaseInit = r));
    class SlowInit extends RecordingManager {
      override async initHost(): Promise<void> {
        events.push('initHost');
        await gate;
      }
    }
    const service = Service.create({
      host: 'n',
      binary: 'cinder-volume',
      manager: (o) => new SlowInit({ ...o, events }),
      transport: recordingTransport(transport, events),
      store: new InMemoryServiceRecordStore(),
      settings: { periodicEnable: false, reportInterval: 0 },
    });

    const starting = service.start();
    const stopping = service.stop();
    releaseInit();
    await starting;
    await stopping;

    expect(events).toEqual([
      'initHost',
      'preStartHook(1)',
      'listen(volume,n,fanout=true)',
      'postStartHook',
      'unlisten',
      'cleanupHost',
    ]);
    expect(service.state).toBe('stopped');
    await expect(new RpcClient(transport, { topic: 'volume' }).cast(ctx, 'whoAmI')).rejects.toThrow(
      'no server listens',
    );
    await transport.close();
  });
});
