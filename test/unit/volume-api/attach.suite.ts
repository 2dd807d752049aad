/**
 * Cinder's legacy attach state machine over HTTP on the real VolumeAPI and database: os-reserve,
 * os-unreserve, os-begin_detaching, os-roll_detaching, os-attach, os-detach, os-initialize_connection and
 * os-terminate_connection (statuses, 202s and 200s, the
 * views' attachments, Cinder's messages, isolation 404s, racing requests of which one wins, malformed
 * bodies changing nothing, the DELETE refused meanwhile).
 * Run by attach.test.ts (SQLite) and test/integration/volume-api/attach.int.test.ts (MariaDB).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../../src/api/app';
import { volumeV3Routes } from '../../../src/api/routes/v3';
import { silentLogger } from '../../../src/log';
import { VolumeAPI } from '../../../src/volume/api';
import { LocalVolumeAttachRpc } from '../../../src/volume/attach';
import { connectionSourceOf } from '../../../src/volume/attach-manager';
import { FileDriver } from '../../../src/volume/drivers';
import type { TestDatabase } from '../../helpers/db';
import { POLICIES } from '../../../src/api/policy';
import { dbDate } from '../../../src/db/sql';
import { ADMIN, OTHER, OTHER_USER, PROJECT, USER, makeHarness, truncate, type Harness } from './harness';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MISSING = '445d4156-38b5-4739-8630-d79fd477a410';

const DELETE_REFUSED =
  'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be ' +
  'migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots ' +
  'after volume transfer.';

export function attachSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`legacy attach actions over HTTP (${label})`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = makeHarness(await makeDb());
    });
    afterAll(async () => {
      await h?.db.drop();
    });
    beforeEach(async () => {
      await h.ds.query('DELETE FROM volume_attachment');
      await truncate(h.ds);
      h.scheduler.placeOn = 'host1@fake#pool';
      h.scheduler.fail = null;
      h.backend.fail = null;
    });

    const base = `/v3/${PROJECT}`;
    const post = (path: string, body: unknown, token = USER): request.Test =>
      request(h.app)
        .post(path)
        .set('X-Auth-Token', token)
        .set('Content-Type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    const get = (path: string, token = USER): request.Test =>
      request(h.app).get(path).set('X-Auth-Token', token);
    const action = (id: string, body: unknown, token = USER): request.Test =>
      post(`${base}/volumes/${id}/action`, body, token);
    const fault = (res: request.Response, name: string, code: number, message: string): void => {
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: code,
        body: { [name]: { code, message } },
      });
    };

    async function createVolume(token = USER, project = PROJECT): Promise<string> {
      const res = await post(`/v3/${project}/volumes`, { volume: { size: 1 } }, token);
      expect(res.status).toBe(202);
      return (res.body as Body).volume.id as string;
    }
    async function row(id: string): Promise<{ status: string; attach_status: string }> {
      const rows: { status: string; attach_status: string }[] = await h.ds.query(
        'SELECT status, attach_status FROM volumes WHERE id = ?',
        [id],
      );
      return { status: rows[0]!.status, attach_status: rows[0]!.attach_status };
    }
    async function setRow(id: string, status: string, attachStatus = 'detached'): Promise<void> {
      await h.ds.query('UPDATE volumes SET status = ?, attach_status = ? WHERE id = ?', [
        status,
        attachStatus,
        id,
      ]);
    }
    const accepted = (res: request.Response): void => {
      expect(res.status).toBe(202);
      expect(res.text).toBe('');
    };

    describe('os-reserve, os-unreserve, os-begin_detaching, os-roll_detaching', () => {
      it('walks available → attaching → available, and in-use → detaching → in-use, answering 202', async () => {
        const id = await createVolume();

        accepted(await action(id, { 'os-reserve': null }));
        expect(await row(id)).toEqual({ status: 'attaching', attach_status: 'detached' });
        expect((await get(`${base}/volumes/${id}`)).body.volume.status).toBe('attaching');
        accepted(await action(id, { 'os-unreserve': {} }));
        expect(await row(id)).toEqual({ status: 'available', attach_status: 'detached' });

        await setRow(id, 'in-use', 'attached');
        accepted(await action(id, { 'os-begin_detaching': null }));
        expect(await row(id)).toEqual({ status: 'detaching', attach_status: 'attached' });
        accepted(await action(id, { 'os-roll_detaching': null }));
        expect(await row(id)).toEqual({ status: 'in-use', attach_status: 'attached' });
      });

      it('os-reserve refuses a volume not available with Cinder 400, and changes nothing', async () => {
        const id = await createVolume();
        for (const status of ['attaching', 'in-use', 'error', 'extending']) {
          await setRow(id, status);
          fault(
            await action(id, { 'os-reserve': null }),
            'badRequest',
            400,
            `Invalid volume: Volume status must be available to reserve, but the status is ${status}.`,
          );
          expect((await row(id)).status).toBe(status);
        }
      });

      it('os-begin_detaching refuses unless in-use and attached, with Cinder 400', async () => {
        const id = await createVolume();
        const msg =
          "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.";
        for (const [status, attach] of [
          ['available', 'detached'],
          ['attaching', 'detached'],
          ['in-use', 'detached'],
          ['detaching', 'attached'],
        ] as const) {
          await setRow(id, status, attach);
          fault(await action(id, { 'os-begin_detaching': null }), 'badRequest', 400, msg);
          expect(await row(id)).toEqual({ status, attach_status: attach });
        }
        // A volume being migrated keeps its status and the call succeeds, as in Cinder.
        await setRow(id, 'in-use', 'attached');
        await h.ds.query("UPDATE volumes SET migration_status = 'migrating' WHERE id = ?", [id]);
        accepted(await action(id, { 'os-begin_detaching': null }));
        expect((await row(id)).status).toBe('in-use');
      });

      it('os-unreserve and os-roll_detaching leave other statuses alone and answer 202, as Cinder', async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-unreserve': null }));
        expect((await row(id)).status).toBe('available');
        accepted(await action(id, { 'os-roll_detaching': null }));
        expect((await row(id)).status).toBe('available');
        await setRow(id, 'in-use', 'attached');
        accepted(await action(id, { 'os-unreserve': null }));
        expect((await row(id)).status).toBe('in-use');
      });

      it('os-unreserve goes back to in-use while the volume has an attachment', async () => {
        const id = await createVolume();
        await setRow(id, 'attaching', 'attached');
        await h.ds.query(
          "INSERT INTO volume_attachment (id, volume_id, instance_uuid, mountpoint, attach_mode, attach_status, attach_time, created_at, deleted) VALUES (?, ?, ?, '/dev/vdb', 'rw', 'attached', ?, ?, 0)",
          [
            '0b2ae0c5-5df3-4d7e-9b39-4f6d1e0c7c11',
            id,
            '6ffd8cc5-7bdc-4b61-a0a4-0d3c1f53ad4a',
            dbDate(h.ds, new Date()),
            dbDate(h.ds, new Date()),
          ],
        );
        accepted(await action(id, { 'os-unreserve': null }));
        expect((await row(id)).status).toBe('in-use');
      });

      it('of two racing os-reserve, one wins and the other gets the 400', async () => {
        const id = await createVolume();
        const answers = await Promise.all([
          action(id, { 'os-reserve': null }),
          action(id, { 'os-reserve': null }),
        ]);
        expect(answers.map((a) => a.status).sort()).toEqual([202, 400]);
        expect((await row(id)).status).toBe('attaching');
        const ids = await Promise.all([createVolume(), createVolume()]);
        for (const v of ids) await setRow(v, 'in-use', 'attached');
        const detaching = await Promise.all([
          action(ids[0]!, { 'os-begin_detaching': null }),
          action(ids[0]!, { 'os-begin_detaching': null }),
          action(ids[0]!, { 'os-begin_detaching': null }),
        ]);
        expect(detaching.map((a) => a.status).sort()).toEqual([202, 400, 400]);
      });

      it("answers 404 for another project's volume and an unknown one; an admin may act on any", async () => {
        const theirs = await createVolume(OTHER_USER, OTHER);
        for (const name of ['os-reserve', 'os-unreserve', 'os-begin_detaching', 'os-roll_detaching']) {
          fault(
            await action(theirs, { [name]: null }),
            'itemNotFound',
            404,
            `Volume ${theirs} could not be found.`,
          );
          fault(
            await action(MISSING, { [name]: null }),
            'itemNotFound',
            404,
            `Volume ${MISSING} could not be found.`,
          );
        }
        expect((await row(theirs)).status).toBe('available');
        accepted(await action(theirs, { 'os-reserve': null }, ADMIN));
        expect((await row(theirs)).status).toBe('attaching');
      });

      it("uses Cinder's policy names, for owner or admin", () => {
        for (const name of ['reserve', 'unreserve', 'begin_detaching', 'roll_detaching']) {
          expect(POLICIES[`volume_extension:volume_actions:${name}` as keyof typeof POLICIES]).toBe(
            'admin_or_owner',
          );
        }
      });

      it('refuses DELETE of an attaching, in-use or detaching volume with Cinder 400', async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-reserve': null }));
        fault(
          await request(h.app).delete(`${base}/volumes/${id}`).set('X-Auth-Token', USER),
          'badRequest',
          400,
          DELETE_REFUSED,
        );
        await setRow(id, 'in-use', 'attached');
        fault(
          await request(h.app).delete(`${base}/volumes/${id}`).set('X-Auth-Token', USER),
          'badRequest',
          400,
          DELETE_REFUSED,
        );
        accepted(await action(id, { 'os-begin_detaching': null }));
        fault(
          await request(h.app).delete(`${base}/volumes/${id}`).set('X-Auth-Token', USER),
          'badRequest',
          400,
          DELETE_REFUSED,
        );
        expect(await row(id)).toEqual({ status: 'detaching', attach_status: 'attached' });
        expect(h.backend.deletes).toEqual([]);
      });

      it('refuses os-extend of an in-use volume below 3.42', async () => {
        const id = await createVolume();
        await setRow(id, 'in-use', 'attached');
        fault(
          await action(id, { 'os-extend': { new_size: 2 } }),
          'badRequest',
          400,
          `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently in-use.`,
        );
        expect(h.backend.extends).toEqual([]);
      });

      it('answers 400 to a body with a second key and changes nothing', async () => {
        const id = await createVolume();
        const res = await action(id, { 'os-reserve': null, 'os-unreserve': null });
        expect(res.status).toBe(400);
        expect((await row(id)).status).toBe('available');
      });
    });
    describe('os-attach and os-detach', () => {
      const INSTANCE = '6ffd8cc5-7bdc-4b61-a0a4-0d3c1f53ad4a';
      const INSTANCE2 = '9d0c6a57-0b5e-4a43-8a8f-2b0b5d0b4c21';
      async function attachmentRows(id: string): Promise<{ attach_status: string; deleted: number }[]> {
        const rows: { attach_status: string; deleted: unknown }[] = await h.ds.query(
          'SELECT attach_status, deleted FROM volume_attachment WHERE volume_id = ? ORDER BY created_at',
          [id],
        );
        return rows.map((r) => ({ attach_status: r.attach_status, deleted: Number(r.deleted) }));
      }

      it('reserve, attach to an instance, show the attachment, begin detaching, detach: Cinder statuses and view', async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-reserve': null }));
        const t0 = Date.now();
        accepted(
          await action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb', mode: 'rw' } }),
        );
        expect(await row(id)).toEqual({ status: 'in-use', attach_status: 'attached' });
        expect(await attachmentRows(id)).toEqual([{ attach_status: 'attached', deleted: 0 }]);

        const shown = (await get(`${base}/volumes/${id}`)).body.volume as Body;
        expect(shown.status).toBe('in-use');
        expect(shown.attachments).toHaveLength(1);
        const a = shown.attachments[0] as Body;
        expect(Object.keys(a).sort()).toEqual([
          'attached_at',
          'attachment_id',
          'device',
          'host_name',
          'id',
          'server_id',
          'volume_id',
        ]);
        expect(a).toMatchObject({
          id,
          volume_id: id,
          server_id: INSTANCE,
          host_name: null,
          device: '/dev/vdb',
        });
        expect(a.attachment_id).toMatch(/^[0-9a-f-]{36}$/);
        expect(a.attached_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
        expect(Date.parse(`${a.attached_at as string}Z`)).toBeGreaterThanOrEqual(t0 - 1000);
        // Cinder's visible admin metadata: readonly (added by the attach) and attached_mode.
        expect(shown.metadata).toEqual({ readonly: 'False', attached_mode: 'rw' });
        expect((await get(`${base}/volumes/detail`)).body.volumes[0].attachments).toEqual([a]);

        accepted(await action(id, { 'os-begin_detaching': null }));
        expect(await row(id)).toEqual({ status: 'detaching', attach_status: 'attached' });
        accepted(await action(id, { 'os-detach': { attachment_id: a.attachment_id } }));
        expect(await row(id)).toEqual({ status: 'available', attach_status: 'detached' });
        expect(await attachmentRows(id)).toEqual([{ attach_status: 'detached', deleted: 1 }]);
        const after = (await get(`${base}/volumes/${id}`)).body.volume as Body;
        expect(after.attachments).toEqual([]);
        expect(after.metadata).toEqual({ readonly: 'False' });
      });

      it('attaches to a host read-only, and os-detach without an id (or null) detaches the only attachment', async () => {
        const id = await createVolume();
        accepted(
          await action(id, { 'os-attach': { host_name: 'My Host_1', mountpoint: '/mnt/v', mode: 'ro' } }),
        );
        const a = (await get(`${base}/volumes/${id}`)).body.volume.attachments[0] as Body;
        expect(a).toMatchObject({ server_id: null, host_name: 'my-host-1', device: '/mnt/v' });
        expect((await get(`${base}/volumes/${id}`)).body.volume.metadata.attached_mode).toBe('ro');
        accepted(await action(id, { 'os-detach': {} }));
        expect(await row(id)).toEqual({ status: 'available', attach_status: 'detached' });
        // Nothing attached: the volume is settled available, as Cinder.
        accepted(await action(id, { 'os-detach': null }));
        expect(await row(id)).toEqual({ status: 'available', attach_status: 'detached' });
      });

      it('attaching the same instance again gives its attachment back; another instance is refused', async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }));
        accepted(await action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }));
        expect(await attachmentRows(id)).toHaveLength(1);
        fault(
          await action(id, { 'os-attach': { instance_uuid: INSTANCE2, mountpoint: '/dev/vdc' } }),
          'badRequest',
          400,
          'Error attaching volume - InvalidVolume: Invalid volume: volume is already attached and multiple attachments are not enabled',
        );
        expect(await attachmentRows(id)).toHaveLength(1);
        expect(await row(id)).toEqual({ status: 'in-use', attach_status: 'attached' });
      });

      it("refuses in maintenance and a read-only volume in rw, with Cinder's messages", async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-update_readonly_flag': { readonly: true } }));
        fault(
          await action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }),
          'badRequest',
          400,
          `Invalid attaching mode 'rw' for volume ${id}.`,
        );
        await setRow(id, 'maintenance');
        fault(
          await action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb', mode: 'ro' } }),
          'badRequest',
          400,
          'Invalid volume: The volume cannot be attached in maintenance mode.',
        );
        fault(
          await action(id, { 'os-detach': null }),
          'badRequest',
          400,
          'Invalid volume: The volume cannot be detached in maintenance mode.',
        );
        expect(await attachmentRows(id)).toEqual([]);
        expect(await row(id)).toEqual({ status: 'maintenance', attach_status: 'detached' });
      });

      it('a multiattach volume takes two attachments; os-detach then needs the id, and the last one makes it available', async () => {
        const id = await createVolume();
        await h.ds.query('UPDATE volumes SET multiattach = 1 WHERE id = ?', [id]);
        accepted(await action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }));
        accepted(await action(id, { 'os-reserve': null }));
        expect((await row(id)).status).toBe('attaching');
        accepted(await action(id, { 'os-attach': { instance_uuid: INSTANCE2, mountpoint: '/dev/vdb' } }));
        const atts = (await get(`${base}/volumes/${id}`)).body.volume.attachments as Body[];
        expect(atts.map((a) => a.server_id).sort()).toEqual([INSTANCE, INSTANCE2].sort());
        fault(
          await action(id, { 'os-detach': null }),
          'badRequest',
          400,
          'Error detaching volume - InvalidVolume: Invalid volume: Detach volume failed: More than one attachment, but no attachment_id provided.',
        );
        accepted(await action(id, { 'os-detach': { attachment_id: atts[0]!.attachment_id } }));
        expect(await row(id)).toEqual({ status: 'in-use', attach_status: 'attached' });
        accepted(await action(id, { 'os-detach': { attachment_id: atts[1]!.attachment_id } }));
        expect(await row(id)).toEqual({ status: 'available', attach_status: 'detached' });
      });

      it('of racing os-attach of two instances, one wins and one attachment is stored', async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-reserve': null }));
        const answers = await Promise.all([
          action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }),
          action(id, { 'os-attach': { instance_uuid: INSTANCE2, mountpoint: '/dev/vdb' } }),
        ]);
        expect(answers.map((a) => a.status).sort()).toEqual([202, 400]);
        expect(await attachmentRows(id)).toEqual([{ attach_status: 'attached', deleted: 0 }]);
        expect(await row(id)).toEqual({ status: 'in-use', attach_status: 'attached' });
      });

      it('refuses DELETE of an attached volume, and allows it once detached', async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }));
        fault(
          await request(h.app).delete(`${base}/volumes/${id}`).set('X-Auth-Token', USER),
          'badRequest',
          400,
          DELETE_REFUSED,
        );
        // Even reset to available by an admin, an attached volume is not deleted.
        await h.ds.query("UPDATE volumes SET status = 'available' WHERE id = ?", [id]);
        fault(
          await request(h.app).delete(`${base}/volumes/${id}`).set('X-Auth-Token', USER),
          'badRequest',
          400,
          DELETE_REFUSED,
        );
        accepted(await action(id, { 'os-detach': null }));
        expect((await request(h.app).delete(`${base}/volumes/${id}`).set('X-Auth-Token', USER)).status).toBe(
          202,
        );
      });

      it("answers 404 for another project's volume; an admin may attach it", async () => {
        const theirs = await createVolume(OTHER_USER, OTHER);
        const body = { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } };
        fault(await action(theirs, body), 'itemNotFound', 404, `Volume ${theirs} could not be found.`);
        fault(
          await action(theirs, { 'os-detach': null }),
          'itemNotFound',
          404,
          `Volume ${theirs} could not be found.`,
        );
        fault(await action(MISSING, body), 'itemNotFound', 404, `Volume ${MISSING} could not be found.`);
        expect(await attachmentRows(theirs)).toEqual([]);
        accepted(await action(theirs, body, ADMIN));
        expect(await row(theirs)).toEqual({ status: 'in-use', attach_status: 'attached' });
        expect(POLICIES['volume_extension:volume_actions:attach']).toBe('admin_or_owner');
        expect(POLICIES['volume_extension:volume_actions:detach']).toBe('admin_or_owner');
      });

      it('answers 400 to malformed bodies and changes nothing', async () => {
        const id = await createVolume();
        accepted(await action(id, { 'os-reserve': null }));
        const bad: unknown[] = [
          { 'os-attach': null },
          { 'os-attach': {} },
          { 'os-attach': { instance_uuid: INSTANCE } },
          { 'os-attach': { mountpoint: '/dev/vdb' } },
          { 'os-attach': { instance_uuid: 'not-a-uuid', mountpoint: '/dev/vdb' } },
          { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '' } },
          { 'os-attach': { instance_uuid: INSTANCE, mountpoint: 'x'.repeat(256) } },
          { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb', mode: 'rx' } },
          { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb', extra: 1 } },
          { 'os-attach': { host_name: 5, mountpoint: '/dev/vdb' } },
          { 'os-detach': { attachment_id: 5 } },
          { 'os-detach': { other: 'x' } },
          { 'os-detach': [] },
          { 'os-detach': 'x' },
          '{"os-attach": ',
        ];
        for (const body of bad) {
          const res = await action(id, body);
          expect({ body, status: res.status }).toEqual({ body, status: 400 });
        }
        fault(
          await action(id, { 'os-attach': { instance_uuid: INSTANCE } }),
          'badRequest',
          400,
          `Invalid input for field/attribute os-attach. Value: {'instance_uuid': '${INSTANCE}'}. 'mountpoint' is a required property`,
        );
        expect(await row(id)).toEqual({ status: 'attaching', attach_status: 'detached' });
        expect(await attachmentRows(id)).toEqual([]);
      });
    });
    describe('os-initialize_connection and os-terminate_connection', () => {
      let dir: string;
      let app: Express;
      beforeAll(async () => {
        dir = await mkdtemp(path.join(tmpdir(), 'attach-suite-'));
        // The API with a volume service whose driver keeps volumes as files (connections are local).
        const api = new VolumeAPI(h.ds, h.quotas, h.scheduler, h.backend, {
          defaultVolumeType: '__DEFAULT__',
          defaultAvailabilityZone: 'nova',
          snapshots: h.backend,
          attach: new LocalVolumeAttachRpc(
            h.ds,
            connectionSourceOf(new FileDriver({ directory: dir, capacityGb: 10 })),
          ),
        });
        app = createApp({
          config: { maxRequestBodySize: 114688 },
          logger: silentLogger(),
          mountV3: volumeV3Routes(api),
        });
      });
      afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
      });
      const act = (id: string, body: unknown, token = USER): request.Test =>
        request(app)
          .post(`${base}/volumes/${id}/action`)
          .set('X-Auth-Token', token)
          .set('Content-Type', 'application/json')
          .send(typeof body === 'string' ? body : JSON.stringify(body));
      const connector = {
        host: 'node1',
        initiator: 'iqn.1993-08.org.debian:01:abc',
        platform: 'x86_64',
        os_type: 'linux',
      };

      it('answers 200 with the connection info: local, the device path, access mode, encrypted, qos_specs', async () => {
        const id = await createVolume();
        accepted(await act(id, { 'os-reserve': null }));
        const res = await act(id, { 'os-initialize_connection': { connector } });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          connection_info: {
            driver_volume_type: 'local',
            data: {
              device_path: path.join(dir, `volume-${id}`),
              qos_specs: null,
              access_mode: 'rw',
              encrypted: false,
            },
          },
        });
        // A connector may be a string (Cinder's schema); the status is not changed by the call.
        expect((await act(id, { 'os-initialize_connection': { connector: 'node1' } })).status).toBe(200);
        expect((await row(id)).status).toBe('attaching');
        accepted(
          await act(id, {
            'os-attach': {
              instance_uuid: '6ffd8cc5-7bdc-4b61-a0a4-0d3c1f53ad4a',
              mountpoint: '/dev/vdb',
              mode: 'ro',
            },
          }),
        );
        const ro = await act(id, { 'os-initialize_connection': { connector } });
        expect(ro.body.connection_info.data.access_mode).toBe('ro');
      });

      it('os-terminate_connection answers 202 and unreserves a volume still attaching, not one in use', async () => {
        const id = await createVolume();
        accepted(await act(id, { 'os-reserve': null }));
        accepted(await act(id, { 'os-terminate_connection': { connector } }));
        expect((await row(id)).status).toBe('available');
        await setRow(id, 'in-use', 'attached');
        accepted(await act(id, { 'os-terminate_connection': { connector: null } }));
        expect((await row(id)).status).toBe('in-use');
      });

      it("refuses initialize in maintenance; a backend without connections answers Cinder's 500", async () => {
        const id = await createVolume();
        await setRow(id, 'maintenance');
        fault(
          await act(id, { 'os-initialize_connection': { connector } }),
          'badRequest',
          400,
          'Invalid volume: The volume connection cannot be initialized in maintenance mode.',
        );
        await setRow(id, 'available');
        // The default harness's API has no volume service with connections.
        fault(
          await action(id, { 'os-initialize_connection': { connector } }),
          'computeFault',
          500,
          'Unable to fetch connection information from backend.',
        );
      });

      it("answers 404 for another project's volume, uses Cinder's policy names", async () => {
        const theirs = await createVolume(OTHER_USER, OTHER);
        fault(
          await act(theirs, { 'os-initialize_connection': { connector } }),
          'itemNotFound',
          404,
          `Volume ${theirs} could not be found.`,
        );
        fault(
          await act(theirs, { 'os-terminate_connection': { connector } }),
          'itemNotFound',
          404,
          `Volume ${theirs} could not be found.`,
        );
        expect((await act(theirs, { 'os-initialize_connection': { connector } }, ADMIN)).status).toBe(200);
        expect(POLICIES['volume_extension:volume_actions:initialize_connection']).toBe('admin_or_owner');
        expect(POLICIES['volume_extension:volume_actions:terminate_connection']).toBe('admin_or_owner');
      });

      it('answers 400, not a 500, for a volume never placed on a backend', async () => {
        const id = await createVolume();
        await h.ds.query("UPDATE volumes SET host = NULL, status = 'error' WHERE id = ?", [id]);
        const msg = `Invalid volume: Volume ${id} is not on a backend (status error).`;
        fault(await act(id, { 'os-initialize_connection': { connector } }), 'badRequest', 400, msg);
        fault(await act(id, { 'os-terminate_connection': { connector } }), 'badRequest', 400, msg);
        fault(
          await act(id, { 'os-attach': { host_name: 'h', mountpoint: '/dev/vdb' } }),
          'badRequest',
          400,
          msg,
        );
        fault(await act(id, { 'os-detach': null }), 'badRequest', 400, msg);
        expect(await row(id)).toEqual({ status: 'error', attach_status: 'detached' });
        expect(await h.ds.query('SELECT readonly FROM volumes WHERE id = ?', [id])).toEqual([
          { readonly: null },
        ]);
      });

      it('answers 400 to malformed bodies and changes nothing', async () => {
        const id = await createVolume();
        accepted(await act(id, { 'os-reserve': null }));
        for (const body of [
          { 'os-initialize_connection': null },
          { 'os-initialize_connection': {} },
          { 'os-initialize_connection': { connector: 5 } },
          { 'os-initialize_connection': { connector: null } },
          { 'os-initialize_connection': { connector, extra: 1 } },
          { 'os-terminate_connection': {} },
          { 'os-terminate_connection': { connector: [] } },
          { 'os-terminate_connection': null },
        ]) {
          const res = await act(id, body);
          expect({ body, status: res.status }).toEqual({ body, status: 400 });
        }
        fault(
          await act(id, { 'os-initialize_connection': {} }),
          'badRequest',
          400,
          "Invalid input for field/attribute os-initialize_connection. Value: {}. 'connector' is a required property",
        );
        expect(await row(id)).toEqual({ status: 'attaching', attach_status: 'detached' });
      });
    });
  });
}
