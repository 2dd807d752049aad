/**
 * A volume cloud for tests: the scheduler and N volume services (each on its own driver) on one
 * database and one transport (in-process by default), with the real VolumeAPI in front of them using
 * the real RPC APIs. Nothing is faked but the drivers when the test passes FakeDrivers.
 */
import type { DataSource } from 'typeorm';
import { QuotaEngine } from '../../../src/quota';
import { InProcessTransport, type Transport } from '../../../src/rpc';
import { SchedulerRpcApi } from '../../../src/scheduler/rpc-api';
import type { VolumeSchedulerManager } from '../../../src/scheduler/scheduler-manager';
import { createSchedulerService } from '../../../src/scheduler/services';
import { ServiceLauncher } from '../../../src/service/launcher';
import type { Service, ServiceSettings } from '../../../src/service/service';
import { VolumeAPI, type VolumeApiContext, type VolumeCreateInput } from '../../../src/volume/api';
import type { VolumeDriver } from '../../../src/volume/drivers/driver';
import type { VolumeManager } from '../../../src/volume/manager';
import { VolumeRpcApi } from '../../../src/volume/rpc-api';
import { createVolumeService } from '../../../src/volume/services';
import { VolumeRows, type SnapshotRowRef, type VolumeRef } from '../../../src/volume/volume-rows';

export interface BackendSpec {
  driver: VolumeDriver;
  availabilityZone?: string;
}

export interface VolumeCloud {
  ds: DataSource;
  api: VolumeAPI;
  quotas: QuotaEngine;
  rows: VolumeRows;
  scheduler: VolumeSchedulerManager;
  /** Volume managers by node name. */
  managers: Record<string, VolumeManager>;
  services: Record<string, Service>;
  transport: Transport;
  launcher: ServiceLauncher;
  /** Create through the API (flow + cast) and return the id. */
  create(projectId: string, over?: Partial<VolumeCreateInput>): Promise<string>;
  /** Wait until the volume leaves `creating`/`deleting`/`extending` (or is gone) and return it. */
  settled(volumeId: string, timeoutMs?: number): Promise<VolumeRef | null>;
  /** Wait until the snapshot leaves `creating`/`deleting` (or is gone) and return it. */
  snapshotSettled(snapshotId: string, timeoutMs?: number): Promise<SnapshotRowRef | null>;
  ctx(projectId: string): VolumeApiContext;
  stop(): Promise<void>;
}

export const TEST_SETTINGS: Partial<ServiceSettings> = {
  periodicFuzzyDelay: 0,
  reportInterval: 10,
  serviceDownTime: 60,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createInput(over: Partial<VolumeCreateInput> = {}): VolumeCreateInput {
  return {
    size: 1,
    name: null,
    description: null,
    volumeType: null,
    availabilityZone: null,
    metadata: {},
    snapshotId: null,
    sourceVolid: null,
    backupId: null,
    imageRef: null,
    schedulerHints: null,
    ...over,
  };
}

export async function startVolumeCloud(options: {
  dataSource: DataSource;
  backends: Record<string, BackendSpec>;
  maxAttempts?: number;
  /** One transport per service (as separate processes), e.g. AMQP; default: one shared in-process transport. */
  makeTransport?: (service: string) => Promise<Transport>;
}): Promise<VolumeCloud> {
  const ds = options.dataSource;
  const owned: Transport[] = [];
  let shared: Transport | undefined;
  const transportFor = async (service: string): Promise<Transport> => {
    if (options.makeTransport !== undefined) {
      const t = await options.makeTransport(service);
      owned.push(t);
      return t;
    }
    if (shared === undefined) {
      shared = new InProcessTransport({ defaultTimeoutMs: 10_000 });
      await shared.connect();
      owned.push(shared);
    }
    return shared;
  };
  const launcher = new ServiceLauncher();
  const services: Record<string, Service> = {};
  const scheduler = createSchedulerService({
    transport: await transportFor('scheduler'),
    dataSource: ds,
    host: 'ctl',
    settings: TEST_SETTINGS,
    compute: false,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  });
  services['scheduler'] = scheduler;
  launcher.add(scheduler);
  const managers: Record<string, VolumeManager> = {};
  for (const [node, spec] of Object.entries(options.backends)) {
    const svc = createVolumeService({
      transport: await transportFor(`volume-${node}`),
      dataSource: ds,
      host: node,
      driver: spec.driver,
      settings: TEST_SETTINGS,
      capabilitiesInterval: 3600,
      ...(spec.availabilityZone !== undefined ? { availabilityZone: spec.availabilityZone } : {}),
    });
    services[node] = svc;
    managers[node] = svc.manager as VolumeManager;
    launcher.add(svc);
  }
  await launcher.start();
  const schedulerManager = scheduler.manager as VolumeSchedulerManager;
  const deadline = Date.now() + 5000;
  while (schedulerManager.hostManager.size < Object.keys(options.backends).length) {
    if (Date.now() > deadline) throw new Error('the backends did not report their capabilities');
    await sleep(5);
  }
  const quotas = new QuotaEngine(ds);
  const transport = await transportFor('api');
  const volumeRpc = new VolumeRpcApi(transport);
  const api = new VolumeAPI(ds, quotas, new SchedulerRpcApi(transport), volumeRpc, {
    defaultVolumeType: '__DEFAULT__',
    defaultAvailabilityZone: 'nova',
    snapshots: volumeRpc,
  });
  const rows = new VolumeRows(ds);
  const ctx = (projectId: string): VolumeApiContext => ({
    requestId: 'req-test',
    userId: 'u1',
    projectId,
    isAdmin: false,
    roles: [],
  });
  return {
    ds,
    api,
    quotas,
    rows,
    scheduler: schedulerManager,
    managers,
    services,
    transport,
    launcher,
    ctx,
    async create(projectId, over = {}) {
      const v = await api.create(ctx(projectId), createInput(over));
      return v.volume.id;
    },
    async settled(volumeId, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = await rows.get(volumeId);
        if (v === null || !['creating', 'deleting', 'extending'].includes(v.status)) return v;
        if (Date.now() > end) throw new Error(`volume ${volumeId} still ${v.status} after ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    async snapshotSettled(snapshotId, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const s = await rows.getSnapshot(snapshotId);
        if (s === null || !['creating', 'deleting'].includes(s.status)) return s;
        if (Date.now() > end)
          throw new Error(`snapshot ${snapshotId} still ${s.status} after ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    async stop() {
      await launcher.stop();
      for (const t of owned) await t.close();
    },
  };
}
