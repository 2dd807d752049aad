/**
 * Ready-made Nova-side services on the framework, for `src/bin` and tests:
 * `nova-conductor` (object indirection + build_instances), `nova-scheduler` (compute filter
 * scheduler; its compute filter uses the service group) and `nova-compute` (fake virt driver,
 * resource tracker, build flow; no database access — everything through the conductor).
 *
 * The compute scheduler listens on `schedulerTopic` (default 'scheduler'). When the volume
 * scheduler also runs, either give this one its own topic (the same value to all three factories)
 * or add a {@link ComputeSchedulerEndpoint} to the volume scheduler's manager instead.
 */
import type { DataSource } from 'typeorm';
import { ConductorManager } from '../conductor/conductor-manager';
import { ConductorObjectIndirectionApi } from '../conductor/object-indirection-api';
import { ObjectEnvironment } from '../objects/environment';
import { ObjectSerializer } from '../objects/serializer';
import { ObjectServiceRecordStore } from '../objects/service';
import { RpcClient } from '../rpc/client';
import { EventNotifier } from '../rpc/notifier';
import { RequestContext } from '../rpc/context';
import type { Logger } from '../rpc/logger';
import type { Transport } from '../rpc/transport';
import {
  COMPUTE_SCHEDULER_API_VERSION,
  ComputeSchedulerManager,
  serviceGroupHostCheck,
} from '../scheduler/compute-scheduler';
import { DbServiceRecordStore } from '../service/db-service-record-store';
import { Service, DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from '../service/service';
import { ServiceGroup } from '../service/service-group';
import { COMPUTE_API_VERSION, ComputeManager } from './compute-manager';
import { FakeVirtDriver, type FakeDriverOptions } from './fake-driver';

export interface NovaServiceOptions {
  readonly transport: Transport;
  /** @default os.hostname() (through Service.create) */
  readonly host?: string;
  readonly settings?: Partial<ServiceSettings>;
  readonly logger?: Logger;
  /** @default 'scheduler' */
  readonly schedulerTopic?: string;
  /** @default 'conductor' */
  readonly conductorTopic?: string;
}

const CONDUCTOR_VERSION = '3.0';

export function createConductorService(
  options: NovaServiceOptions & { readonly dataSource: DataSource; readonly maxAttempts?: number },
): Service {
  const env = ObjectEnvironment.direct('nova-conductor', options.dataSource);
  const serializer = new ObjectSerializer(env);
  return Service.create({
    ...(options.host !== undefined ? { host: options.host } : {}),
    binary: 'nova-conductor',
    topic: options.conductorTopic ?? 'conductor',
    manager: (o) =>
      new ConductorManager({
        ...o,
        objectEnv: env,
        computeTask: {
          scheduler: new RpcClient(
            options.transport,
            { topic: options.schedulerTopic ?? 'scheduler' },
            { version: COMPUTE_SCHEDULER_API_VERSION, serializer },
          ),
          compute: new RpcClient(
            options.transport,
            { topic: 'compute' },
            { version: COMPUTE_API_VERSION, serializer },
          ),
          ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
          notifier: new EventNotifier(
            options.transport,
            `conductor.${o.host}`,
            options.logger !== undefined ? { logger: options.logger } : {},
          ),
        },
      }),
    transport: options.transport,
    store: new DbServiceRecordStore(options.dataSource),
    serializer,
    ...(options.settings !== undefined ? { settings: options.settings } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}

export function createComputeSchedulerService(
  options: NovaServiceOptions & { readonly dataSource: DataSource },
): Service {
  const env = ObjectEnvironment.direct('nova-scheduler', options.dataSource);
  const store = new DbServiceRecordStore(options.dataSource);
  const group = new ServiceGroup(store, {
    reportInterval: options.settings?.reportInterval ?? DEFAULT_SERVICE_SETTINGS.reportInterval,
    serviceDownTime: options.settings?.serviceDownTime ?? DEFAULT_SERVICE_SETTINGS.serviceDownTime,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  return Service.create({
    ...(options.host !== undefined ? { host: options.host } : {}),
    binary: 'nova-scheduler',
    topic: options.schedulerTopic ?? 'scheduler',
    manager: (o) =>
      new ComputeSchedulerManager({ ...o, objectEnv: env, isHostUp: serviceGroupHostCheck(group) }),
    transport: options.transport,
    store,
    serviceGroup: group,
    serializer: new ObjectSerializer(env),
    ...(options.settings !== undefined ? { settings: options.settings } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}

export function createComputeService(
  options: NovaServiceOptions & {
    /** A driver to use, or options for a new FakeVirtDriver on this host. */
    readonly driver?: FakeVirtDriver;
    readonly driverOptions?: Omit<FakeDriverOptions, 'host'>;
    /** Seconds between resource audits. @default 60 */
    readonly updateResourcesInterval?: number;
    /** Timeout of calls to the conductor. @default the transport's */
    readonly conductorTimeoutMs?: number;
    /** Seconds start-up waits for the conductor to answer (0: no wait). @default 120 */
    readonly conductorWaitTimeout?: number;
    /** Ends the wait for the conductor early (the process is stopping). */
    readonly startAbort?: AbortSignal;
  },
): Service {
  const transport = options.transport;
  const env = ObjectEnvironment.remote(
    'nova-compute',
    (e) =>
      new ConductorObjectIndirectionApi(transport, e, {
        topic: options.conductorTopic ?? 'conductor',
        ...(options.conductorTimeoutMs !== undefined ? { timeoutMs: options.conductorTimeoutMs } : {}),
      }),
  );
  const serializer = new ObjectSerializer(env);
  return Service.create({
    ...(options.host !== undefined ? { host: options.host } : {}),
    binary: 'nova-compute',
    topic: 'compute',
    manager: (o) =>
      new ComputeManager({
        ...o,
        driver: options.driver ?? new FakeVirtDriver({ ...(options.driverOptions ?? {}), host: o.host }),
        objectEnv: env,
        conductor: new RpcClient(
          transport,
          { topic: options.conductorTopic ?? 'conductor' },
          { version: CONDUCTOR_VERSION, serializer },
        ),
        scheduler: new RpcClient(
          transport,
          { topic: options.schedulerTopic ?? 'scheduler' },
          { version: COMPUTE_SCHEDULER_API_VERSION, serializer },
        ),
        ...(options.updateResourcesInterval !== undefined
          ? { updateResourcesInterval: options.updateResourcesInterval }
          : {}),
        ...(options.conductorWaitTimeout !== undefined
          ? { conductorWaitTimeout: options.conductorWaitTimeout }
          : {}),
        ...(options.startAbort !== undefined ? { startAbort: options.startAbort } : {}),
        notifier: new EventNotifier(
          transport,
          `compute.${o.host}`,
          options.logger !== undefined ? { logger: options.logger } : {},
        ),
      }),
    transport,
    store: new ObjectServiceRecordStore(env, () => RequestContext.admin()),
    serializer,
    ...(options.settings !== undefined ? { settings: options.settings } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}
