/**
 * End to end through HTTP: the api's /v3 routes (volumeApiV3 with the real scheduler and volume RPC
 * APIs), the scheduler and two volume services on the file driver (temp dirs), one database and the
 * in-process transport. POST /volumes answers 202 `creating`; polling GET shows `available`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../../src/api/app';
import { silentLogger } from '../../../src/log';
import { SchedulerRpcApi } from '../../../src/scheduler/rpc-api';
import { volumeApiV3 } from '../../../src/volume/api-wiring';
import { FileDriver, GIB } from '../../../src/volume/drivers';
import { VolumeRpcApi } from '../../../src/volume/rpc-api';
import type { TestDatabase } from '../../helpers/db';
import { startVolumeCloud, type VolumeCloud } from './backend-cloud';

const PROJECT = '5f1c0ffee0c0ffee0c0ffee0c0ffee01';
const TOKEN = `alice:${PROJECT}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function httpEndToEndSuite(name: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`POST /volumes end to end on the file driver (${name})`, () => {
    let db: TestDatabase;
    let cloud: VolumeCloud;
    let app: Express;
    let dirs: string[];

    beforeAll(async () => {
      db = await makeDb();
      dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-e2e-')));
      cloud = await startVolumeCloud({
        dataSource: db.dataSource,
        backends: {
          alpha: { driver: new FileDriver({ directory: dirs[0]!, capacityGb: 100 }) },
          beta: { driver: new FileDriver({ directory: dirs[1]!, capacityGb: 100 }) },
        },
      });
      const mountV3 = await volumeApiV3({
        scheduler: (t) => new SchedulerRpcApi(t),
        backend: (t) => new VolumeRpcApi(t),
      })({
        config: {
          defaultVolumeType: '__DEFAULT__',
          defaultAvailabilityZone: 'nova',
          osapiMaxLimit: 1000,
          serviceDownTime: 60,
          reservationExpire: 86400,
        },
        logger: silentLogger(),
        resources: { dataSource: async () => db.dataSource, transport: async () => cloud.transport },
      });
      app = createApp({ config: { maxRequestBodySize: 114688 }, logger: silentLogger(), mountV3 });
    });

    afterAll(async () => {
      await cloud.stop();
      await db.drop();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    async function poll(
      id: string,
      until: (status: number, body: { volume?: { status: string } }) => boolean,
    ): Promise<request.Response> {
      const end = Date.now() + 10_000;
      for (;;) {
        const res = await request(app).get(`/v3/${PROJECT}/volumes/${id}`).set('X-Auth-Token', TOKEN);
        if (until(res.status, res.body as { volume?: { status: string } })) return res;
        if (Date.now() > end)
          throw new Error(`volume ${id} did not settle: ${res.status} ${JSON.stringify(res.body)}`);
        await sleep(20);
      }
    }

    it('creates volumes that become available as sparse files, spread over both backends, then deletes them', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await request(app)
          .post(`/v3/${PROJECT}/volumes`)
          .set('X-Auth-Token', TOKEN)
          .set('Content-Type', 'application/json')
          .send({ volume: { size: 2, name: `e2e-${i}` } });
        expect(res.status).toBe(202);
        expect(res.body.volume).toMatchObject({ status: 'creating', size: 2, name: `e2e-${i}` });
        ids.push(res.body.volume.id as string);
      }

      for (const id of ids) {
        const res = await poll(id, (_s, b) => b.volume?.status !== 'creating');
        expect(res.body.volume.status).toBe('available');
      }
      const files = dirs.map((d) => fs.readdirSync(d));
      expect(files.map((f) => f.length)).toEqual([2, 2]);
      for (const id of ids) {
        const dir = dirs.find((d) => fs.existsSync(path.join(d, `volume-${id}`)))!;
        expect(fs.statSync(path.join(dir, `volume-${id}`)).size).toBe(2 * GIB);
      }
      const usage = await request(app)
        .get(`/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`)
        .set('X-Auth-Token', TOKEN);
      expect(usage.body.quota_set.volumes).toMatchObject({ in_use: 4, reserved: 0 });
      expect(usage.body.quota_set.gigabytes).toMatchObject({ in_use: 8, reserved: 0 });

      for (const id of ids) {
        const del = await request(app).delete(`/v3/${PROJECT}/volumes/${id}`).set('X-Auth-Token', TOKEN);
        expect(del.status).toBe(202);
      }
      for (const id of ids) await poll(id, (s) => s === 404);

      expect(dirs.map((d) => fs.readdirSync(d).length)).toEqual([0, 0]);
      // The volume service removes the row, then commits the release (Cinder's order): wait for it briefly.
      let after = await request(app)
        .get(`/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`)
        .set('X-Auth-Token', TOKEN);
      for (let i = 0; i < 100 && after.body.quota_set.volumes.in_use !== 0; i++) {
        await sleep(20);
        after = await request(app)
          .get(`/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`)
          .set('X-Auth-Token', TOKEN);
      }
      expect(after.body.quota_set.volumes).toMatchObject({ in_use: 0, reserved: 0 });
      expect(after.body.quota_set.gigabytes).toMatchObject({ in_use: 0, reserved: 0 });
    });

    it('extends through os-extend until the file has the new size', async () => {
      const res = await request(app)
        .post(`/v3/${PROJECT}/volumes`)
        .set('X-Auth-Token', TOKEN)
        .send({ volume: { size: 1 } });
      const id = res.body.volume.id as string;
      await poll(id, (_s, b) => b.volume?.status === 'available');

      const ext = await request(app)
        .post(`/v3/${PROJECT}/volumes/${id}/action`)
        .set('X-Auth-Token', TOKEN)
        .send({ 'os-extend': { new_size: 3 } });

      expect(ext.status).toBe(202);
      const done = await poll(
        id,
        (_s, b) => b.volume?.status === 'available' && (b.volume as { size?: number }).size === 3,
      );
      expect(done.body.volume.size).toBe(3);
      const dir = dirs.find((d) => fs.existsSync(path.join(d, `volume-${id}`)))!;
      expect(fs.statSync(path.join(dir, `volume-${id}`)).size).toBe(3 * GIB);
    });
  });
}
