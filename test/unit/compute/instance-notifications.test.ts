/**
 * Instance lifecycle notifications (issue 7 §4): compute.instance.create.start/.end/.error, in the
 * OpenStack shape, on the `notifications` topic, through the real RPC layer (in-process transport)
 * with conductor, scheduler and computes on SQLite; and the shared notifier's own contract.
 */
import {
  INSTANCE_CREATE_END,
  INSTANCE_CREATE_ERROR,
  INSTANCE_CREATE_START,
  faultPayload,
} from '../../../src/compute/notifications';
import { SpawnFailedError } from '../../../src/compute/errors';
import { BUILD_INSTANCES_ERROR } from '../../../src/conductor/compute-task';
import { RequestContext } from '../../../src/rpc/context';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import type { Logger } from '../../../src/rpc/logger';
import { EventNotifier, NOTIFICATIONS_TOPIC, type Notification } from '../../../src/rpc/notifier';
import { RpcServer } from '../../../src/rpc/server';
import type { Transport } from '../../../src/rpc/transport';
import { EventNotifier as VolumeEventNotifier } from '../../../src/volume/notifier';
import { waitFor } from '../../contracts/transport.contract';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { startCloud, type Cloud, type HostSpec } from './cloud';

const ctx = new RequestContext({ userId: 'u1', projectId: 'p1', roles: ['member'] });
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A consumer of the notifications topic (fanout), as another system would listen. */
class NotificationSink {
  readonly received: Array<Notification & { method: string }> = [];
  info(_ctx: RequestContext, args: Record<string, unknown>): void {
    this.received.push({ ...(args as unknown as Notification), method: 'info' });
  }
  error(_ctx: RequestContext, args: Record<string, unknown>): void {
    this.received.push({ ...(args as unknown as Notification), method: 'error' });
  }
}

describe('instance lifecycle notifications', () => {
  let db: TestDatabase | undefined;
  let cloud: Cloud | undefined;
  let sinkServer: RpcServer | undefined;
  let sink: NotificationSink;

  afterEach(async () => {
    await sinkServer?.stop();
    await cloud?.stop();
    await db?.drop();
    cloud = undefined;
    db = undefined;
    sinkServer = undefined;
  });

  async function start(hosts: Record<string, HostSpec>): Promise<Cloud> {
    db = await createTestSqliteDatabase();
    const transport = new InProcessTransport({ defaultTimeoutMs: 5000 });
    cloud = await startCloud({ dataSource: db.dataSource, makeTransport: async () => transport, hosts });
    sink = new NotificationSink();
    sinkServer = new RpcServer(transport, { topic: NOTIFICATIONS_TOPIC, server: 'listener' }, [sink], {
      fanout: true,
    });
    await sinkServer.start();
    return cloud;
  }

  it('publishes create.start then create.end from the compute that built the instance', async () => {
    const { api, settled } = await start({ cmp1: { memoryMb: 4096 } });

    const inst = await api.createInstance(ctx, { vcpus: 1, memoryMb: 512, rootGb: 2, displayName: 'vm1' });
    await settled(inst.uuid);
    await waitFor(() => sink.received.length >= 2, 5000, 'two notifications');

    const [startN, endN] = sink.received;
    expect(sink.received.map((n) => [n.event_type, n.priority, n.method, n.publisher_id])).toEqual([
      [INSTANCE_CREATE_START, 'INFO', 'info', 'compute.cmp1'],
      [INSTANCE_CREATE_END, 'INFO', 'info', 'compute.cmp1'],
    ]);
    for (const n of sink.received) {
      expect(Object.keys(n).sort()).toEqual([
        'event_type',
        'message_id',
        'method',
        'payload',
        'priority',
        'publisher_id',
        'timestamp',
      ]);
      expect(n.message_id).toMatch(UUID);
      expect(n.timestamp).toMatch(TIMESTAMP);
    }
    expect(startN!.message_id).not.toBe(endN!.message_id);
    expect(startN!.payload).toMatchObject({
      instance_id: inst.uuid,
      tenant_id: 'p1',
      user_id: 'u1',
      display_name: 'vm1',
      vcpus: 1,
      memory_mb: 512,
      root_gb: 2,
      state: 'building',
    });
    expect(endN!.payload).toMatchObject({
      instance_id: inst.uuid,
      state: 'active',
      state_description: '',
      host: 'cmp1',
      node: 'cmp1',
      message: 'Success',
    });
  });

  it('publishes create.error (priority ERROR) for the failed attempt, then start/end on the host it is rescheduled to', async () => {
    const { api, settled } = await start({
      cmp1: { memoryMb: 8192, failSpawns: true },
      cmp2: { memoryMb: 4096 },
    });

    const inst = await api.createInstance(ctx, { vcpus: 1, memoryMb: 512, rootGb: 1 });
    await settled(inst.uuid);
    await waitFor(() => sink.received.length >= 4, 5000, 'four notifications');

    expect(sink.received.map((n) => [n.event_type, n.priority, n.publisher_id])).toEqual([
      [INSTANCE_CREATE_START, 'INFO', 'compute.cmp1'],
      [INSTANCE_CREATE_ERROR, 'ERROR', 'compute.cmp1'],
      [INSTANCE_CREATE_START, 'INFO', 'compute.cmp2'],
      [INSTANCE_CREATE_END, 'INFO', 'compute.cmp2'],
    ]);
    const error = sink.received[1]!;
    expect(error.method).toBe('error');
    expect(error.payload).toMatchObject({
      instance_id: inst.uuid,
      exception: 'SpawnFailedError',
      code: 'SPAWN_FAILED',
    });
    expect(error.payload['message']).toContain(`failed to spawn instance ${inst.uuid} on cmp1`);
  });

  it("publishes the conductor's compute_task.build_instances error when a build fits nowhere", async () => {
    const { api, settled } = await start({ cmp1: { memoryMb: 1024 } });

    const inst = await api.createInstance(ctx, { vcpus: 1, memoryMb: 4096, rootGb: 1 });
    await settled(inst.uuid);
    await waitFor(() => sink.received.length >= 1, 5000, 'the conductor notification');

    expect(sink.received).toHaveLength(1); // no compute was asked, so no compute.instance.* event
    expect(sink.received[0]).toMatchObject({
      event_type: BUILD_INSTANCES_ERROR,
      priority: 'ERROR',
      method: 'error',
      publisher_id: 'conductor.ctl',
      payload: {
        instance_id: inst.uuid,
        state: 'error',
        method: 'build_instances',
        exception: 'NoValidHostError',
      },
    });
    expect(sink.received[0]!.payload['reason']).toContain('no valid host was found');
  });
});

describe('the shared notifier', () => {
  it('is the one the volume service uses', () => {
    expect(VolumeEventNotifier).toBe(EventNotifier);
  });

  it('logs a publish that failed and still resolves to the notification', async () => {
    const warnings: string[] = [];
    const log = {
      child: () => log,
      warn: (m: string) => void warnings.push(m),
      info: () => undefined,
      debug: () => undefined,
      error: () => undefined,
    };
    const broken = { cast: () => Promise.reject(new Error('broker away')) } as unknown as Transport;
    const notifier = new EventNotifier(broken, 'compute.c1', { logger: log as unknown as Logger });

    const n = await notifier.notify(null, INSTANCE_CREATE_START, { instance_id: 'i' });

    expect(n).toMatchObject({
      publisher_id: 'compute.c1',
      event_type: INSTANCE_CREATE_START,
      priority: 'INFO',
      payload: { instance_id: 'i' },
    });
    expect(n.timestamp).toMatch(TIMESTAMP);
    expect(warnings).toEqual(['could not publish a notification']);
  });

  it('turns an error into Nova’s fault fields', () => {
    expect(faultPayload(new SpawnFailedError('i', 'h', 'boom'))).toEqual({
      message: 'failed to spawn instance i on h: boom',
      exception: 'SpawnFailedError',
      code: 'SPAWN_FAILED',
    });
    expect(faultPayload('odd')).toEqual({ message: 'odd', exception: 'Error' });
  });
});
