/**
 * Cinder's legacy attach state machine over HTTP on the real VolumeAPI and database: os-reserve,
 * os-unreserve, os-begin_detaching and os-roll_detaching (statuses, 202s, Cinder's messages, isolation
 * 404s, racing requests of which one wins, the DELETE refused meanwhile).
 * Run by attach.test.ts (SQLite) and test/integration/volume-api/attach.int.test.ts (MariaDB).
 */
import request from 'supertest';
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
  });
}
