/**
 * Builds the volume API for the api service: VolumeAPI on the process's database and the /v3 routes,
 * with the scheduler and volume-service RPC clients made from the process's transport.
 *
 * @example
 * createApiService({
 *   v3: volumeApiV3({
 *     scheduler: (transport) => new SchedulerRpcApi(transport),
 *     backend: (transport) => new VolumeRpcApi(transport),
 *   }),
 * })
 */
import type { Router } from 'express';
import type { DataSource } from 'typeorm';
import { volumeV3Routes } from '../api/routes/v3';
import type { Config } from '../config';
import type { Logger } from '../log';
import { QuotaEngine } from '../quota';
import type { Transport } from '../rpc/transport';
import type { VolumeScheduler } from '../tasks/volume';
import { VolumeAPI, type VolumeBackendRpc, type VolumeSnapshotRpc } from './api';
import type { VolumeAttachRpc } from './attach';

/** What the builder reads from the api service's context (structurally bin's ServiceContext). */
export interface VolumeApiServiceContext {
  readonly config: Pick<
    Config,
    | 'defaultVolumeType'
    | 'defaultAvailabilityZone'
    | 'osapiMaxLimit'
    | 'serviceDownTime'
    | 'reservationExpire'
  >;
  readonly logger: Logger;
  readonly resources: { dataSource(): Promise<DataSource>; transport(): Promise<Transport> };
}

/** How to reach the scheduler and the volume services over a transport. */
export interface VolumeApiRpcFactories {
  scheduler(transport: Transport): VolumeScheduler;
  backend(transport: Transport): VolumeBackendRpc;
  /** Snapshot casts, when the volume service offers them (else snapshot create/delete answer 400). */
  snapshots?(transport: Transport): VolumeSnapshotRpc;
  /** The volume service's attach and connection calls (else os-attach/os-detach run in the api process). */
  attach?(transport: Transport): VolumeAttachRpc;
}

/** The api service's `v3` builder (ApiServiceOptions.v3). */
export function volumeApiV3(
  rpc: VolumeApiRpcFactories,
): (ctx: VolumeApiServiceContext) => Promise<(v3: Router) => void> {
  return async (ctx) => {
    const [ds, transport] = await Promise.all([ctx.resources.dataSource(), ctx.resources.transport()]);
    const api = new VolumeAPI(
      ds,
      new QuotaEngine(ds, { reservationExpireSeconds: ctx.config.reservationExpire }),
      rpc.scheduler(transport),
      rpc.backend(transport),
      {
        defaultVolumeType: ctx.config.defaultVolumeType,
        defaultAvailabilityZone: ctx.config.defaultAvailabilityZone,
        log: ctx.logger.child({ component: 'volume-api' }),
        ...(rpc.snapshots !== undefined ? { snapshots: rpc.snapshots(transport) } : {}),
        ...(rpc.attach !== undefined ? { attach: rpc.attach(transport) } : {}),
      },
    );
    return volumeV3Routes(api, {
      maxLimit: ctx.config.osapiMaxLimit,
      serviceDownTimeSec: ctx.config.serviceDownTime,
    });
  };
}
