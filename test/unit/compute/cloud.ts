/**
 * A small cloud for tests: conductor, compute scheduler and N compute services, each service on
 * its own transport from `makeTransport` (one shared InProcessTransport, or one AmqpTransport per
 * service like separate processes), on the given database.
 */
import type { DataSource } from 'typeorm';
import { ComputeApi } from '../../../src/compute/api';
import { ComputeManager } from '../../../src/compute/compute-manager';
import { FakeVirtDriver } from '../../../src/compute/fake-driver';
import { ConductorManager } from '../../../src/conductor/conductor-manager';
import { ConductorObjectIndirectionApi } from '../../../src/conductor/object-indirection-api';
import { InstanceEntity } from '../../../src/db/entities/instance.entity';
import { ObjectEnvironment, ObjectSerializer, ObjectServiceRecordStore } from '../../../src/objects';
import { RpcClient } from '../../../src/rpc/client';
import { RequestContext } from '../../../src/rpc/context';
import type { Transport } from '../../../src/rpc/transport';
import { ComputeSchedulerManager } from '../../../src/scheduler/compute-scheduler';
import { ServiceLauncher } from '../../../src/service/launcher';
import { Service, type ServiceSettings } from '../../../src/service/service';
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

  const ctlTransport = await transportFor('conductor');
  const dbEnv = ObjectEnvironment.direct('nova-conductor', options.dataSource);
  const store = new ObjectServiceRecordStore(dbEnv, () => RequestContext.admin());
  services['conductor'] = Service.create({
    host: 'ctl',
    binary: 'nova-conductor',
    manager: (o) =>
      new ConductorManager({
        ...o,
        objectEnv: dbEnv,
        computeTask: {
          scheduler: new RpcClient(ctlTransport, { topic: 'scheduler' }, { version: '4.0', serializer: new ObjectSerializer(dbEnv) }),
          compute: new RpcClient(ctlTransport, { topic: 'compute' }, { version: '5.0', serializer: new ObjectSerializer(dbEnv) }),
          ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        },
      }),
    transport: ctlTransport,
    store,
    serializer: new ObjectSerializer(dbEnv),
    settings,
  });
  launcher.add(services['conductor']);

  const schedTransport = await transportFor('scheduler');
  const schedEnv = ObjectEnvironment.direct('nova-scheduler', options.dataSource);
  services['scheduler'] = Service.create({
    host: 'ctl',
    binary: 'nova-scheduler',
    manager: (o) => new ComputeSchedulerManager({ ...o, objectEnv: schedEnv }),
    transport: schedTransport,
    store: new ObjectServiceRecordStore(schedEnv, () => RequestContext.admin()),
    serializer: new ObjectSerializer(schedEnv),
    settings,
  });
  launcher.add(services['scheduler']);

  const drivers: Record<string, FakeVirtDriver> = {};
  const computes: Record<string, ComputeManager> = {};
  for (const [host, spec] of Object.entries(options.hosts)) {
    const t = await transportFor(`compute-${host}`);
    const env = ObjectEnvironment.remote('nova-compute', (e) => new ConductorObjectIndirectionApi(t, e, { timeoutMs: 10_000 }));
    const driver = new FakeVirtDriver({ host, vcpus: spec.vcpus ?? 4, memoryMb: spec.memoryMb, diskGb: 100, failSpawns: spec.failSpawns ?? false });
    drivers[host] = driver;
    services[host] = Service.create({
      host,
      binary: 'nova-compute',
      manager: (o) => {
        const m = new ComputeManager({
          ...o,
          driver,
          objectEnv: env,
          conductor: new RpcClient(t, { topic: 'conductor' }, { version: '3.0', serializer: new ObjectSerializer(env) }),
          scheduler: new RpcClient(t, { topic: 'scheduler' }, { version: '4.0', serializer: new ObjectSerializer(env) }),
        });
        computes[host] = m;
        return m;
      },
      transport: t,
      store: new ObjectServiceRecordStore(env, () => RequestContext.admin()),
      serializer: new ObjectSerializer(env),
      settings,
    });
    launcher.add(services[host]);
  }
  await launcher.start();

  const apiTransport = await transportFor('api');
  const api = new ComputeApi(dbEnv, new RpcClient(apiTransport, { topic: 'conductor' }, { version: '3.0', serializer: new ObjectSerializer(dbEnv) }));

  return {
    launcher,
    api,
    drivers,
    computes,
    services,
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
