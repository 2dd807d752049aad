/**
 * The scheduler service (`cinder-scheduler`, topic `scheduler`) for `src/bin` and tests: the volume
 * scheduler's manager, plus the compute scheduler's endpoint (Nova's select_destinations …) on the same
 * topic when asked, so one scheduler serves both volumes and instances.
 */
import type { DataSource } from 'typeorm';
import { ObjectEnvironment } from '../objects/environment';
import { ObjectSerializer } from '../objects/serializer';
import type { Logger } from '../rpc/logger';
import type { Transport } from '../rpc/transport';
import { DbServiceRecordStore } from '../service/db-service-record-store';
import { DEFAULT_SERVICE_SETTINGS, Service, type ServiceSettings } from '../service/service';
import { ServiceGroup } from '../service/service-group';
import { EventNotifier } from '../volume/notifier';
import { VolumeRpcApi } from '../volume/rpc-api';
import { VolumeRows } from '../volume/volume-rows';
import { ComputeSchedulerEndpoint, HostManager, serviceGroupHostCheck } from './compute-scheduler';
import { VolumeSchedulerManager } from './scheduler-manager';

export interface SchedulerServiceOptions {
  readonly transport: Transport;
  readonly dataSource: DataSource;
  /** @default os.hostname() (through Service.create) */
  readonly host?: string;
  readonly settings?: Partial<ServiceSettings>;
  readonly logger?: Logger;
  /** Cinder's `scheduler_max_attempts`. @default 3 */
  readonly maxAttempts?: number;
  /** Also serve the compute scheduler's methods. @default true */
  readonly compute?: boolean;
  /** Check that a backend's volume service is up before placing on it. @default true */
  readonly checkServiceUp?: boolean;
}

/** Caches a per-host check for `ttlMs`, so a burst of placements does not read the services table each time. */
function cached(
  check: (host: string) => Promise<boolean>,
  ttlMs: number,
): (host: string) => Promise<boolean> {
  const memo = new Map<string, { at: number; up: Promise<boolean> }>();
  return (host) => {
    const now = Date.now();
    const hit = memo.get(host);
    if (hit !== undefined && now - hit.at < ttlMs) return hit.up;
    const up = check(host).catch(() => false);
    memo.set(host, { at: now, up });
    return up;
  };
}

export function createSchedulerService(options: SchedulerServiceOptions): Service {
  const store = new DbServiceRecordStore(options.dataSource);
  const group = new ServiceGroup(store, {
    reportInterval: options.settings?.reportInterval ?? DEFAULT_SERVICE_SETTINGS.reportInterval,
    serviceDownTime: options.settings?.serviceDownTime ?? DEFAULT_SERVICE_SETTINGS.serviceDownTime,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  const env = ObjectEnvironment.direct('cinder-scheduler', options.dataSource);
  return Service.create({
    ...(options.host !== undefined ? { host: options.host } : {}),
    binary: 'cinder-scheduler',
    topic: 'scheduler',
    manager: (o) => {
      const m = new VolumeSchedulerManager({
        ...o,
        rows: new VolumeRows(options.dataSource),
        volumeRpc: new VolumeRpcApi(options.transport),
        notifier: new EventNotifier(
          options.transport,
          `scheduler.${o.host}`,
          options.logger !== undefined ? { logger: options.logger } : {},
        ),
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.checkServiceUp !== false
          ? { isBackendUp: cached(serviceGroupHostCheck(group, 'cinder-volume'), 1000) }
          : {}),
      });
      if (options.compute !== false) {
        const hm = new HostManager(env, {
          isHostUp: serviceGroupHostCheck(group),
          ...(options.logger !== undefined ? { logger: options.logger } : {}),
        });
        m.additionalEndpoints.push(new ComputeSchedulerEndpoint(hm));
      }
      return m;
    },
    transport: options.transport,
    store,
    serviceGroup: group,
    serializer: new ObjectSerializer(env),
    ...(options.settings !== undefined ? { settings: options.settings } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}
