/**
 * The volume service (`cinder-volume`, topic `volume`, one per backend) for `src/bin` and tests. Its
 * host is `<host>@<backend>`, so casts to `volume.<host>@<backend>` reach it.
 */
import type { DataSource } from 'typeorm';
import { QuotaEngine } from '../quota';
import type { Logger } from '../rpc/logger';
import type { Transport } from '../rpc/transport';
import { SchedulerRpcApi } from '../scheduler/rpc-api';
import { DbServiceRecordStore } from '../service/db-service-record-store';
import { Service, type ServiceSettings } from '../service/service';
import type { VolumeDriver } from './drivers/driver';
import { FileDriver } from './drivers/file-driver';
import { VolumeManager } from './manager';
import { EventNotifier } from './notifier';
import { VolumeRows } from './volume-rows';

export interface VolumeServiceOptions {
  readonly transport: Transport;
  readonly dataSource: DataSource;
  /** The node's name; the service's host is `<host>@<backend name>`. */
  readonly host: string;
  /** @default a FileDriver on `volumeDir` */
  readonly driver?: VolumeDriver;
  /** Where the default FileDriver keeps its files. @default './data/volumes' */
  readonly volumeDir?: string;
  /** The capacity the default FileDriver reports, in GiB. @default the filesystem's */
  readonly capacityGb?: number;
  /** @default 'nova' */
  readonly availabilityZone?: string;
  /** Seconds between capability reports. @default 60 */
  readonly capabilitiesInterval?: number;
  readonly settings?: Partial<ServiceSettings>;
  readonly logger?: Logger;
}

export function createVolumeService(options: VolumeServiceOptions): Service {
  const driver =
    options.driver ??
    new FileDriver({
      directory: options.volumeDir ?? './data/volumes',
      ...(options.capacityGb !== undefined ? { capacityGb: options.capacityGb } : {}),
    });
  const host = `${options.host}@${driver.backendName}`;
  const store = new DbServiceRecordStore(options.dataSource);
  return Service.create({
    host,
    binary: 'cinder-volume',
    topic: 'volume',
    manager: (o) =>
      new VolumeManager({
        ...o,
        driver,
        rows: new VolumeRows(options.dataSource),
        quotas: new QuotaEngine(options.dataSource),
        scheduler: new SchedulerRpcApi(options.transport),
        serviceStore: store,
        notifier: new EventNotifier(
          options.transport,
          `volume.${host}`,
          options.logger !== undefined ? { logger: options.logger } : {},
        ),
        ...(options.availabilityZone !== undefined ? { availabilityZone: options.availabilityZone } : {}),
        ...(options.capabilitiesInterval !== undefined
          ? { capabilitiesInterval: options.capabilitiesInterval }
          : {}),
      }),
    transport: options.transport,
    store,
    ...(options.settings !== undefined ? { settings: { ...options.settings, host } } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}
