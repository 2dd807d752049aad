/**
 * Test wiring for the volume API: a real database (SQLite or MariaDB), the real quota engine, VolumeAPI and
 * the /v3 routes on createApp; only outbound RPC (scheduler and volume service casts) is faked, by small
 * in-process recorders that can be told to fail or to "place" the volume on a host.
 */
import type { Express } from 'express';
import type { DataSource } from 'typeorm';
import { createApp } from '../../../src/api/app';
import { volumeV3Routes } from '../../../src/api/routes/v3';
import { silentLogger } from '../../../src/log';
import { QuotaEngine } from '../../../src/quota';
import type { ScheduleCreateVolumeArgs, VolumeRpcContext, VolumeScheduler } from '../../../src/tasks/volume';
import { VolumeAPI, type VolumeBackendRpc, type VolumeSnapshotRpc } from '../../../src/volume/api';
import type { TestDatabase } from '../../helpers/db';

export const PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const OTHER = 'c1b2c3d4e5f60718293a4b5c6d7e8f92';
export const USER = `alice:${PROJECT}`;
export const OTHER_USER = `bob:${OTHER}`;
export const ADMIN = `admin:${PROJECT}`;

/** Records scheduler casts; `fail` makes the next casts reject; `placeOn` sets host/status like a backend would. */
export class FakeScheduler implements VolumeScheduler {
  readonly casts: { ctx: VolumeRpcContext; args: ScheduleCreateVolumeArgs }[] = [];
  fail: Error | null = null;
  placeOn: string | null = null;
  constructor(private readonly ds: () => DataSource) {}

  async createVolume(ctx: VolumeRpcContext, args: ScheduleCreateVolumeArgs): Promise<void> {
    if (this.fail !== null) throw this.fail;
    this.casts.push({ ctx, args });
    if (this.placeOn !== null) {
      await this.ds().query("UPDATE volumes SET host = ?, status = 'available' WHERE id = ?", [
        this.placeOn,
        args.volumeId,
      ]);
    }
  }
}

/** Records volume-service casts; with `ds`, a snapshot create marks the snapshot available. */
export class FakeBackend implements VolumeBackendRpc, VolumeSnapshotRpc {
  readonly deletes: { host: string; volumeId: string }[] = [];
  readonly snapshotCasts: string[] = [];
  constructor(private readonly ds?: () => DataSource) {}

  async createSnapshot(_ctx: VolumeRpcContext, host: string, snapshotId: string): Promise<void> {
    if (this.fail !== null) throw this.fail;
    this.snapshotCasts.push(`create ${host} ${snapshotId}`);
    await this.ds?.().query("UPDATE snapshots SET status = 'available' WHERE id = ?", [snapshotId]);
  }

  async deleteSnapshot(_ctx: VolumeRpcContext, host: string, snapshotId: string): Promise<void> {
    if (this.fail !== null) throw this.fail;
    this.snapshotCasts.push(`delete ${host} ${snapshotId}`);
  }
  readonly extends: { host: string; volumeId: string; newSizeGb: number; reservations: string[] }[] = [];
  fail: Error | null = null;

  async deleteVolume(_ctx: VolumeRpcContext, host: string, volumeId: string): Promise<void> {
    if (this.fail !== null) throw this.fail;
    this.deletes.push({ host, volumeId });
  }

  async extendVolume(
    _ctx: VolumeRpcContext,
    host: string,
    volumeId: string,
    newSizeGb: number,
    reservations: string[],
  ): Promise<void> {
    if (this.fail !== null) throw this.fail;
    this.extends.push({ host, volumeId, newSizeGb, reservations });
  }
}

export interface Harness {
  db: TestDatabase;
  ds: DataSource;
  quotas: QuotaEngine;
  scheduler: FakeScheduler;
  backend: FakeBackend;
  api: VolumeAPI;
  app: Express;
}

export function makeHarness(db: TestDatabase): Harness {
  const ds = db.dataSource;
  const quotas = new QuotaEngine(ds);
  const scheduler = new FakeScheduler(() => ds);
  const backend = new FakeBackend(() => ds);
  const api = new VolumeAPI(ds, quotas, scheduler, backend, {
    defaultVolumeType: '__DEFAULT__',
    defaultAvailabilityZone: 'nova',
    snapshots: backend,
  });
  const app = createApp({
    config: { maxRequestBodySize: 114688 },
    logger: silentLogger(),
    mountV3: volumeV3Routes(api),
  });
  return { db, ds, quotas, scheduler, backend, api, app };
}

/** Everything a create or its rollback can touch, in a comparable form. */
export async function dbState(
  ds: DataSource,
  projectId = PROJECT,
): Promise<{
  volumes: { id: string; status: string; size: number; deleted: number }[];
  metadata: number;
  reservations: number;
  usage: Record<string, { in_use: number; reserved: number }>;
}> {
  const volumes: { id: string; status: string; size: number; deleted: unknown }[] = await ds.query(
    'SELECT id, status, size, deleted FROM volumes WHERE project_id = ? ORDER BY id',
    [projectId],
  );
  const meta: { n: unknown }[] = await ds.query('SELECT COUNT(*) AS n FROM volume_metadata');
  const res: { n: unknown }[] = await ds.query(
    'SELECT COUNT(*) AS n FROM reservations WHERE project_id = ?',
    [projectId],
  );
  const usages: { resource: string; in_use: unknown; reserved: unknown }[] = await ds.query(
    'SELECT resource, in_use, reserved FROM quota_usages WHERE project_id = ? ORDER BY resource',
    [projectId],
  );
  return {
    volumes: volumes.map((v) => ({
      id: v.id,
      status: v.status,
      size: Number(v.size),
      deleted: Number(v.deleted),
    })),
    metadata: Number(meta[0]?.n ?? 0),
    reservations: Number(res[0]?.n ?? 0),
    // Usage rows a reservation created and left at zero are not usage.
    usage: Object.fromEntries(
      usages
        .filter((u) => Number(u.in_use) !== 0 || Number(u.reserved) !== 0)
        .map((u) => [u.resource, { in_use: Number(u.in_use), reserved: Number(u.reserved) }]),
    ),
  };
}

/** Deletes every row the tests create (between tests). */
export async function truncate(ds: DataSource): Promise<void> {
  for (const t of [
    'volume_metadata',
    'snapshots',
    'volumes',
    'reservations',
    'quota_usages',
    'quotas',
    'services',
  ]) {
    await ds.query(`DELETE FROM ${t}`);
  }
  await ds.query('DELETE FROM volume_type_extra_specs');
  await ds.query("DELETE FROM volume_types WHERE name <> '__DEFAULT__'");
}
