/**
 * A small cloud for tests: conductor, compute scheduler and N compute services, each service on
 * its own transport from `makeTransport` (one shared InProcessTransport, or one AmqpTransport per
 * service like separate processes), on the given database.
 */
import type { DataSource } from 'typeorm';
import { ComputeApi } from '../../../src/compute/api';
import type { ComputeManager } from '../../../src/compute/compute-manager';
import { FakeVirtDriver } from '../../../src/compute/fake-driver';
import {
  createComputeSchedulerService,
  createComputeService,
  createConductorService,
} from '../../../src/compute/services';
import { InstanceEntity } from '../../../src/db/entities/instance.entity';
import { ObjectEnvironment, ObjectSerializer } from '../../../src/objects';
import { RpcClient } from '../../../src/rpc/client';
import type { Transport } from '../../../src/rpc/transport';
import type { ComputeSchedulerManager } from '../../../src/scheduler/compute-scheduler';
import { ServiceLauncher } from '../../../src/service/launcher';
import type { Service, ServiceSettings } from '../../../src/service/service';
import { waitFor } from '../../contracts/transport.contract';

export interface HostSpec {
  memoryMb: number;
  vcpus?: number;
  failSpawns?: boolean | number;
}

export interface Cloud {
  launcher: ServiceLauncher;
  api: ComputeApi;
  drivers: Record<string, FakeVirtDriver>;
  computes: Record<string, ComputeManager>;
  services: Record<string, Service>;
  /** The compute schedulers' managers by host (`ctl` unless `schedulerHosts` says otherwise). */
  schedulers: Record<string, ComputeSchedulerManager>;
  transports: Transport[];
  /** Wait until the instance is ACTIVE or ERROR and return its row. */
  settled(uuid: string, timeoutMs?: number): Promise<InstanceEntity>;
  stop(): Promise<void>;
}

export async function startCloud(options: {
  dataSource: DataSource;
  makeTransport: (service: string) => Promise<Transport>;
  hosts: Record<string, HostSpec>;
  maxAttempts?: number;
  settings?: Partial<ServiceSettings>;
  /** Hosts of the compute schedulers, all on topic `scheduler`; `services['scheduler']` is the first. @default ['ctl'] */
  schedulerHosts?: readonly string[];
}): Promise<Cloud> {
  const settings = options.settings ?? { periodicEnable: false, reportInterval: 0 };
  const transports: Transport[] = [];
  const transportFor = async (name: string): Promise<Transport> => {
    const t = await options.makeTransport(name);
    if (!transports.includes(t)) transports.push(t);
    return t;
  };
  const launcher = new ServiceLauncher();
  const services: Record<string, Service> = {};
  const common = { settings, host: 'ctl' };
  services['conductor'] = createConductorService({
    ...common,
    transport: await transportFor('conductor'),
    dataSource: options.dataSource,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  });
  launcher.add(services['conductor']);
  const schedulers: Record<string, ComputeSchedulerManager> = {};
  for (const [i, host] of (options.schedulerHosts ?? ['ctl']).entries()) {
    const name = i === 0 ? 'scheduler' : `scheduler:${host}`;
    services[name] = createComputeSchedulerService({
      settings,
      host,
      transport: await transportFor(name),
      dataSource: options.dataSource,
    });
    schedulers[host] = services[name].manager as ComputeSchedulerManager;
    launcher.add(services[name]);
  }

  const drivers: Record<string, FakeVirtDriver> = {};
  const computes: Record<string, ComputeManager> = {};
  for (const [host, spec] of Object.entries(options.hosts)) {
    const driver = new FakeVirtDriver({
      host,
      vcpus: spec.vcpus ?? 4,
      memoryMb: spec.memoryMb,
      diskGb: 100,
      failSpawns: spec.failSpawns ?? false,
    });
    drivers[host] = driver;
    const service = createComputeService({
      settings,
      host,
      transport: await transportFor(`compute-${host}`),
      driver,
      conductorTimeoutMs: 10_000,
    });
    services[host] = service;
    computes[host] = service.manager as ComputeManager;
    launcher.add(service);
  }
  await launcher.start();

  const apiTransport = await transportFor('api');
  const dbEnv = ObjectEnvironment.direct('nova-api', options.dataSource);
  const api = new ComputeApi(
    dbEnv,
    new RpcClient(
      apiTransport,
      { topic: 'conductor' },
      { version: '3.0', serializer: new ObjectSerializer(dbEnv) },
    ),
  );

  return {
    launcher,
    api,
    drivers,
    computes,
    services,
    schedulers,
    transports,
    async settled(uuid: string, timeoutMs = 10_000): Promise<InstanceEntity> {
      let row: InstanceEntity | null = null;
      await waitFor(
        () => {
          void options.dataSource
            .getRepository(InstanceEntity)
            .findOneBy({ uuid })
            .then((r) => (row = r));
          return row !== null && (row.vmState === 'active' || row.vmState === 'error');
        },
        timeoutMs,
        `instance ${uuid} to settle`,
      );
      return row!;
    },
    async stop(): Promise<void> {
      await launcher.stop();
      for (const t of transports) await t.close();
    },
  };
}
