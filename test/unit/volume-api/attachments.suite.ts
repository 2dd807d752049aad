/**
 * Cinder's attachments API (3.27+, os-complete 3.44) over HTTP on the real VolumeAPI and database:
 * create (reserve, or reserve and connect), list/detail with filters and paging, show, update with a
 * connector, os-complete, delete; Cinder's status codes, bodies and messages, the microversion gating,
 * isolation 404s, racing creates of which one wins, malformed bodies changing nothing, the volume
 * DELETE refused while an attachment exists, and the volume view's `attachments`.
 * Run by attachments.test.ts (SQLite) and test/integration/volume-api/attachments.int.test.ts (MariaDB).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../../src/api/app';
import { POLICIES } from '../../../src/api/policy';
import { volumeV3Routes } from '../../../src/api/routes/v3';
import { silentLogger } from '../../../src/log';
import { VolumeAPI } from '../../../src/volume/api';
import { LocalVolumeAttachRpc } from '../../../src/volume/attach';
import { connectionSourceOf } from '../../../src/volume/attach-manager';
import { FileDriver } from '../../../src/volume/drivers';
import type { TestDatabase } from '../../helpers/db';
import { ADMIN, OTHER, OTHER_USER, PROJECT, USER, makeHarness, truncate, type Harness } from './harness';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MISSING = '445d4156-38b5-4739-8630-d79fd477a410';
const INSTANCE = '6ffd8cc5-7bdc-4b61-a0a4-0d3c1f53ad4a';
const INSTANCE2 = '0f0c6b1e-4a43-4a59-9bd2-1a5e3c7d8e90';
const V = 'volume 3.44';
const DELETE_REFUSED =
  'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be ' +
  'migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots ' +
  'after volume transfer.';
const connector = { host: 'node1', initiator: 'iqn.1993-08.org.debian:01:abc', mountpoint: '/dev/vdb' };

export function attachmentsSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`attachments API over HTTP (${label})`, () => {
    let h: Harness;
    let dir: string;
    let app: Express;

    beforeAll(async () => {
      h = makeHarness(await makeDb());
      dir = await mkdtemp(path.join(tmpdir(), 'attachments-suite-'));
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
    const send = (
      method: 'post' | 'put',
      url: string,
      body: unknown,
      token = USER,
      version = V,
      on: Express = app,
    ): request.Test =>
      request(on)
        [method](url)
        .set('X-Auth-Token', token)
        .set('OpenStack-API-Version', version)
        .set('Content-Type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    const get = (url: string, token = USER, version = V): request.Test =>
      request(app).get(url).set('X-Auth-Token', token).set('OpenStack-API-Version', version);
    const del = (url: string, token = USER, version = V): request.Test =>
      request(app).delete(url).set('X-Auth-Token', token).set('OpenStack-API-Version', version);
    const create = (attachment: Record<string, unknown>, token = USER, version = V): request.Test =>
      send('post', `${base}/attachments`, { attachment }, token, version);
    const complete = (id: string, token = USER, version = V): request.Test =>
      send('post', `${base}/attachments/${id}/action`, { 'os-complete': {} }, token, version);
    const fault = (res: request.Response, name: string, code: number, message: string): void => {
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: code,
        body: { [name]: { code, message } },
      });
    };

    async function createVolume(token = USER, project = PROJECT): Promise<string> {
      const res = await send('post', `/v3/${project}/volumes`, { volume: { size: 1 } }, token);
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
    async function attachmentRows(id: string): Promise<{ attach_status: string; deleted: number }[]> {
      const rows: { attach_status: string; deleted: unknown }[] = await h.ds.query(
        'SELECT attach_status, deleted FROM volume_attachment WHERE volume_id = ? ORDER BY created_at',
        [id],
      );
      return rows.map((r) => ({ attach_status: r.attach_status, deleted: Number(r.deleted) }));
    }
    async function reserve(vol: string, instance = INSTANCE): Promise<string> {
      const res = await create({ volume_uuid: vol, instance_uuid: instance });
      expect(res.status).toBe(200);
      return (res.body as Body).attachment.id as string;
    }

    it('reserve, update with a connector, complete, show, delete: Cinder statuses, bodies and the volume view', async () => {
      const vol = await createVolume();
      const res = await create({ volume_uuid: vol, instance_uuid: INSTANCE });
      expect(res.status).toBe(200);
      const id = (res.body as Body).attachment.id as string;
      expect(res.body).toEqual({
        attachment: {
          id,
          status: 'reserved',
          instance: INSTANCE,
          volume_id: vol,
          attached_at: '',
          detached_at: '',
          attach_mode: 'null',
          connection_info: {},
        },
      });
      expect(await row(vol)).toEqual({ status: 'reserved', attach_status: 'detached' });
      expect(await attachmentRows(vol)).toEqual([{ attach_status: 'reserved', deleted: 0 }]);
      // Only attached attachments appear in the volume view.
      expect((await get(`${base}/volumes/${vol}`)).body.volume).toMatchObject({
        status: 'reserved',
        attachments: [],
      });

      const upd = await send('put', `${base}/attachments/${id}`, { attachment: { connector } });
      expect(upd.status).toBe(200);
      const info = {
        driver_volume_type: 'local',
        data: {
          device_path: path.join(dir, `volume-${vol}`),
          access_mode: 'rw',
          encrypted: false,
          qos_specs: null,
        },
      };
      // Cinder answers with the attachment as read before the volume service's work.
      expect(upd.body).toEqual({
        attachment: { ...res.body.attachment, connection_info: info },
      });
      expect(await row(vol)).toEqual({ status: 'attaching', attach_status: 'attaching' });
      expect(await attachmentRows(vol)).toEqual([{ attach_status: 'attaching', deleted: 0 }]);

      const done = await complete(id);
      expect(done.status).toBe(204);
      expect(done.text).toBe('');
      expect(await row(vol)).toEqual({ status: 'in-use', attach_status: 'attached' });

      const shown = await get(`${base}/attachments/${id}`);
      expect(shown.status).toBe(200);
      expect(shown.body.attachment).toMatchObject({
        id,
        status: 'attached',
        instance: INSTANCE,
        volume_id: vol,
        detached_at: '',
        attach_mode: 'rw',
        connection_info: info,
      });
      expect(shown.body.attachment.attached_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      const volume = (await get(`${base}/volumes/${vol}`)).body.volume as Body;
      expect(volume.status).toBe('in-use');
      expect(volume.attachments).toEqual([
        {
          id: vol,
          attachment_id: id,
          volume_id: vol,
          server_id: INSTANCE,
          host_name: 'node1',
          device: '/dev/vdb',
          attached_at: shown.body.attachment.attached_at,
        },
      ]);

      // A volume with an attachment cannot be deleted.
      fault(await del(`${base}/volumes/${vol}`), 'badRequest', 400, DELETE_REFUSED);
      expect(h.backend.deletes).toEqual([]);

      const gone = await del(`${base}/attachments/${id}`);
      expect(gone.status).toBe(200);
      expect(gone.body).toEqual({ attachments: [] });
      expect(await row(vol)).toEqual({ status: 'available', attach_status: 'detached' });
      expect(await attachmentRows(vol)).toEqual([{ attach_status: 'detached', deleted: 1 }]);
      fault(
        await get(`${base}/attachments/${id}`),
        'itemNotFound',
        404,
        `Volume attachment could not be found with filter: attachment_id = ${id}.`,
      );
      expect((await del(`${base}/volumes/${vol}`)).status).toBe(202);
    });

    it('create with a connector connects at once (the answer shows it reserved, as Cinder); mode from 3.54', async () => {
      const vol = await createVolume();
      const res = await create({ volume_uuid: vol, instance_uuid: INSTANCE, connector });
      expect(res.status).toBe(200);
      expect(res.body.attachment).toMatchObject({ status: 'reserved', attach_mode: 'null' });
      expect(res.body.attachment.connection_info).toMatchObject({
        driver_volume_type: 'local',
        data: { access_mode: 'rw' },
      });
      expect(await row(vol)).toEqual({ status: 'attaching', attach_status: 'attaching' });
      expect((await complete(res.body.attachment.id as string)).status).toBe(204);
      expect(await row(vol)).toEqual({ status: 'in-use', attach_status: 'attached' });

      const ro = await createVolume();
      const r2 = await create(
        { volume_uuid: ro, instance_uuid: INSTANCE, connector, mode: 'ro' },
        USER,
        'volume 3.54',
      );
      expect(r2.status).toBe(200);
      expect(r2.body.attachment.attach_mode).toBe('ro');
      expect(r2.body.attachment.connection_info.data.access_mode).toBe('ro');
      // Below 3.54 `mode` is an unknown property.
      fault(
        await create({ volume_uuid: ro, mode: 'ro' }),
        'badRequest',
        400,
        `Invalid input for field/attribute attachment. Value: {'volume_uuid': '${ro}', 'mode': 'ro'}. Additional properties are not allowed ('mode' was unexpected)`,
      );
    });

    it('refuses a second reservation of a non-multiattach volume, unless the same instance asks; a volume in error', async () => {
      const vol = await createVolume();
      await reserve(vol);
      fault(
        await create({ volume_uuid: vol, instance_uuid: INSTANCE2 }),
        'badRequest',
        400,
        `Invalid volume: Volume ${vol} status must be available or downloading to reserve, but the current status is reserved.`,
      );
      // The same instance (moving to another host) may reserve it again.
      expect((await create({ volume_uuid: vol, instance_uuid: INSTANCE })).status).toBe(200);
      expect(await attachmentRows(vol)).toHaveLength(2);

      const bad = await createVolume();
      await h.ds.query("UPDATE volumes SET status = 'error' WHERE id = ?", [bad]);
      fault(
        await create({ volume_uuid: bad, instance_uuid: INSTANCE }),
        'badRequest',
        400,
        `Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume ${bad} currently has a status of: error `,
      );
      expect(await attachmentRows(bad)).toEqual([]);
    });

    it('a multiattach volume takes two attachments; deleting one leaves it in-use and lists the other', async () => {
      const vol = await createVolume();
      await h.ds.query('UPDATE volumes SET multiattach = 1 WHERE id = ?', [vol]);
      const a = await reserve(vol, INSTANCE);
      await send('put', `${base}/attachments/${a}`, { attachment: { connector } });
      expect((await complete(a)).status).toBe(204);
      const b = (await create({ volume_uuid: vol, instance_uuid: INSTANCE2, connector })).body.attachment
        .id as string;
      expect((await complete(b)).status).toBe(204);
      expect((await get(`${base}/volumes/${vol}`)).body.volume.attachments).toHaveLength(2);
      const res = await del(`${base}/attachments/${a}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        attachments: [{ id: b, status: 'attached', instance: INSTANCE2, volume_id: vol }],
      });
      expect(await row(vol)).toEqual({ status: 'in-use', attach_status: 'attached' });
      expect((await del(`${base}/attachments/${b}`)).body).toEqual({ attachments: [] });
      expect(await row(vol)).toEqual({ status: 'available', attach_status: 'detached' });
    });

    it('deleting a reserved attachment puts the volume back to available', async () => {
      const vol = await createVolume();
      const id = await reserve(vol);
      fault(await del(`${base}/volumes/${vol}`), 'badRequest', 400, DELETE_REFUSED);
      expect((await del(`${base}/attachments/${id}`)).body).toEqual({ attachments: [] });
      expect(await row(vol)).toEqual({ status: 'available', attach_status: 'detached' });
    });

    it('of racing creates on one volume one wins, and of racing deletes the volume ends available', async () => {
      const vol = await createVolume();
      const answers = await Promise.all([
        create({ volume_uuid: vol, instance_uuid: INSTANCE }),
        create({ volume_uuid: vol, instance_uuid: INSTANCE2 }),
        create({ volume_uuid: vol, instance_uuid: MISSING }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400]);
      expect(await attachmentRows(vol)).toEqual([{ attach_status: 'reserved', deleted: 0 }]);
      const id = answers.find((a) => a.status === 200)!.body.attachment.id as string;
      const gone = await Promise.all([del(`${base}/attachments/${id}`), del(`${base}/attachments/${id}`)]);
      expect(gone.map((g) => g.status).sort()).toEqual(expect.arrayContaining([200]));
      expect(await row(vol)).toEqual({ status: 'available', attach_status: 'detached' });
      expect(await attachmentRows(vol)).toEqual([{ attach_status: 'detached', deleted: 1 }]);
    });

    it('os-complete and update of an attachment deleted meanwhile answer 404 and change nothing; racing complete and delete end consistent', async () => {
      const vol = await createVolume();
      const id = await reserve(vol);
      expect((await del(`${base}/attachments/${id}`)).status).toBe(200);
      const notFound = `Volume attachment could not be found with filter: attachment_id = ${id}.`;
      fault(await complete(id), 'itemNotFound', 404, notFound);
      fault(
        await send('put', `${base}/attachments/${id}`, { attachment: { connector } }),
        'itemNotFound',
        404,
        notFound,
      );
      expect(await row(vol)).toEqual({ status: 'available', attach_status: 'detached' });

      for (let i = 0; i < 3; i++) {
        const a = await reserve(vol);
        const [done, gone] = await Promise.all([complete(a), del(`${base}/attachments/${a}`)]);
        expect(gone.status).toBe(200);
        expect([204, 404]).toContain(done.status);
        // Whichever ran first, the attachment is gone and the volume is free again.
        expect(await row(vol)).toEqual({ status: 'available', attach_status: 'detached' });
      }
    });

    it('reserves without an instance, or with a null or empty connector, at 3.27', async () => {
      const vol = await createVolume();
      const res = await create({ volume_uuid: vol }, USER, 'volume 3.27');
      expect(res.status).toBe(200);
      expect(res.body.attachment).toMatchObject({ status: 'reserved', instance: null, connection_info: {} });
      expect((await del(`${base}/attachments/${res.body.attachment.id as string}`)).status).toBe(200);
      for (const c of [null, {}]) {
        const r = await create({ volume_uuid: vol, instance_uuid: INSTANCE, connector: c });
        expect(r.status).toBe(200);
        expect(r.body.attachment.connection_info).toEqual({});
        expect(await row(vol)).toEqual({ status: 'reserved', attach_status: 'detached' });
        expect((await del(`${base}/attachments/${r.body.attachment.id as string}`)).status).toBe(200);
      }
      expect(await row(vol)).toEqual({ status: 'available', attach_status: 'detached' });
    });

    it('lists with filters, paging and sorting; summary and detail', async () => {
      const v1 = await createVolume();
      const v2 = await createVolume();
      const a1 = await reserve(v1, INSTANCE);
      await new Promise((r) => setTimeout(r, 5));
      const a2 = await reserve(v2, INSTANCE2);
      const list = await get(`${base}/attachments`);
      expect(list.status).toBe(200);
      expect(list.body).toEqual({
        attachments: [
          { id: a2, status: 'reserved', instance: INSTANCE2, volume_id: v2 },
          { id: a1, status: 'reserved', instance: INSTANCE, volume_id: v1 },
        ],
      });
      const detail = await get(`${base}/attachments/detail`);
      expect(detail.body.attachments[0]).toEqual({
        id: a2,
        status: 'reserved',
        instance: INSTANCE2,
        volume_id: v2,
        attached_at: '',
        detached_at: '',
        attach_mode: 'null',
        connection_info: {},
      });
      const ids = async (query: string, token = USER, version = V): Promise<string[]> => {
        const res = await get(`${base}/attachments?${query}`, token, version);
        expect(res.status).toBe(200);
        return (res.body.attachments as Body[]).map((a) => a.id as string);
      };
      expect(await ids(`volume_id=${v1}`)).toEqual([a1]);
      expect(await ids(`instance_id=${INSTANCE2}`)).toEqual([a2]);
      expect(await ids('attach_status=reserved')).toEqual([a2, a1]);
      expect(await ids('attach_status=attached')).toEqual([]);
      // `status` is no attachment column: Cinder's query matches nothing.
      expect(await ids('status=reserved')).toEqual([]);
      expect(await ids('limit=1')).toEqual([a2]);
      expect(await ids(`limit=1&marker=${a2}`)).toEqual([a1]);
      expect(await ids('sort=created_at:asc')).toEqual([a1, a2]);
      expect(await ids('offset=1')).toEqual([a1]);
      fault(
        await get(`${base}/attachments?sort=foo`),
        'badRequest',
        400,
        'Invalid input received: Invalid sort key',
      );
      // A member's all_tenants is ignored (Cinder's special case for the client, which always sends it).
      expect(await ids('all_tenants=1')).toEqual([a2, a1]);
      fault(
        await get(`${base}/attachments?marker=${MISSING}`),
        'itemNotFound',
        404,
        `Volume attachment could not be found with filter: attachment_id = ${MISSING}.`,
      );
      // A member's unknown filter: dropped below 3.33, refused from it.
      expect(await ids('foo=bar', USER, 'volume 3.32')).toEqual([a2, a1]);
      fault(
        await get(`${base}/attachments?foo=bar`),
        'badRequest',
        400,
        'Invalid filters foo are found in query options.',
      );
    });

    it("isolation: another project's attachments and volumes answer 404; an admin sees every project's", async () => {
      const mine = await createVolume();
      const id = await reserve(mine);
      const theirs = await createVolume(OTHER_USER, OTHER);
      const theirRes = await send(
        'post',
        `/v3/${OTHER}/attachments`,
        { attachment: { volume_uuid: theirs, instance_uuid: INSTANCE2 } },
        OTHER_USER,
      );
      expect(theirRes.status).toBe(200);
      const theirId = theirRes.body.attachment.id as string;
      const notFound = `Volume attachment could not be found with filter: attachment_id = ${id}.`;
      const other = `/v3/${OTHER}`;
      fault(await get(`${other}/attachments/${id}`, OTHER_USER), 'itemNotFound', 404, notFound);
      fault(
        await send('put', `${other}/attachments/${id}`, { attachment: { connector } }, OTHER_USER),
        'itemNotFound',
        404,
        notFound,
      );
      fault(
        await send('post', `${other}/attachments/${id}/action`, { 'os-complete': {} }, OTHER_USER),
        'itemNotFound',
        404,
        notFound,
      );
      fault(await del(`${other}/attachments/${id}`, OTHER_USER), 'itemNotFound', 404, notFound);
      fault(
        await send(
          'post',
          `${other}/attachments`,
          { attachment: { volume_uuid: mine, instance_uuid: INSTANCE2 } },
          OTHER_USER,
        ),
        'itemNotFound',
        404,
        `Volume ${mine} could not be found.`,
      );
      fault(
        await create({ volume_uuid: MISSING, instance_uuid: INSTANCE }),
        'itemNotFound',
        404,
        `Volume ${MISSING} could not be found.`,
      );
      expect((await get(`${base}/attachments`)).body.attachments.map((a: Body) => a.id)).toEqual([id]);
      expect(await row(mine)).toEqual({ status: 'reserved', attach_status: 'detached' });
      expect(await attachmentRows(mine)).toEqual([{ attach_status: 'reserved', deleted: 0 }]);

      const all = await get(`${base}/attachments?all_tenants=1`, ADMIN);
      expect((all.body.attachments as Body[]).map((a) => a.id).sort()).toEqual([id, theirId].sort());
      // all_tenants is an admin's only.
      expect((await get(`${base}/attachments?all_tenants=1`)).body.attachments).toHaveLength(1);
      expect((await get(`${base}/attachments/${theirId}`, ADMIN)).status).toBe(200);
      expect((await complete(theirId, ADMIN)).status).toBe(204);
      expect(await row(theirs)).toEqual({ status: 'in-use', attach_status: 'attached' });
    });

    it("uses Cinder's policy names, for owner or admin", () => {
      for (const name of ['create', 'update', 'delete', 'complete']) {
        expect(POLICIES[`volume:attachment_${name}` as keyof typeof POLICIES]).toBe('admin_or_owner');
      }
      expect(POLICIES['volume:multiattach_bootable_volume']).toBe('admin_or_owner');
    });

    it('answers below 3.27 (and os-complete below 3.44) as Cinder answers a method the version lacks', async () => {
      const vol = await createVolume();
      for (const version of ['volume 3.0', 'volume 3.26']) {
        const msg = `API version ${version.slice(7)} is not supported on this method.`;
        fault(await get(`${base}/attachments`, USER, version), 'itemNotFound', 404, msg);
        fault(await get(`${base}/attachments/detail`, USER, version), 'itemNotFound', 404, msg);
        fault(await get(`${base}/attachments/${MISSING}`, USER, version), 'itemNotFound', 404, msg);
        fault(
          await create({ volume_uuid: vol, instance_uuid: INSTANCE }, USER, version),
          'itemNotFound',
          404,
          msg,
        );
        fault(await del(`${base}/attachments/${MISSING}`, USER, version), 'itemNotFound', 404, msg);
        fault(
          await send('put', `${base}/attachments/${MISSING}`, { attachment: { connector } }, USER, version),
          'itemNotFound',
          404,
          msg,
        );
        fault(await complete(MISSING, USER, version), 'itemNotFound', 404, msg);
      }
      expect(await attachmentRows(vol)).toEqual([]);
      const id = await reserve(vol);
      expect((await get(`${base}/attachments/${id}`, USER, 'volume 3.27')).status).toBe(200);
      fault(
        await complete(id, USER, 'volume 3.43'),
        'itemNotFound',
        404,
        'API version 3.43 is not supported on this method.',
      );
      expect(await row(vol)).toEqual({ status: 'reserved', attach_status: 'detached' });
      // The project-less form serves them too.
      expect((await get(`/v3/attachments/${id}`)).status).toBe(200);
    });

    it('answers 400 to malformed bodies and changes nothing', async () => {
      const vol = await createVolume();
      const id = await reserve(vol);
      const before = { row: await row(vol), attachments: await attachmentRows(vol) };
      const field = (name: string, value: string, why: string): string =>
        `Invalid input for field/attribute ${name}. Value: ${value}. ${why}`;
      const bad: [unknown, string][] = [
        ['{"attachment": ', 'Malformed request body'],
        [{}, "'attachment' is a required property"],
        [{ attachment: {} }, field('attachment', '{}', "'volume_uuid' is a required property")],
        [
          { attachment: { volume_uuid: 'nope', instance_uuid: INSTANCE } },
          field('volume_uuid', 'nope', "'nope' is not a 'uuid'"),
        ],
        [
          { attachment: { volume_uuid: vol, instance_uuid: 'nope' } },
          field('instance_uuid', 'nope', "'nope' is not a 'uuid'"),
        ],
        [
          { attachment: { volume_uuid: vol, instance_uuid: INSTANCE, connector: 'x' } },
          field('connector', 'x', "'x' is not of type 'object', 'null'"),
        ],
        [
          { attachment: { volume_uuid: vol, instance_uuid: INSTANCE, foo: 1 } },
          field(
            'attachment',
            `{'volume_uuid': '${vol}', 'instance_uuid': '${INSTANCE}', 'foo': 1}`,
            "Additional properties are not allowed ('foo' was unexpected)",
          ),
        ],
        [{ attachment: vol }, field('attachment', vol, `'${vol}' is not of type 'object'`)],
      ];
      for (const [body, message] of bad) {
        fault(await send('post', `${base}/attachments`, body), 'badRequest', 400, message);
      }
      const badUpdates: [unknown, string][] = [
        [{}, "'attachment' is a required property"],
        [{ attachment: {} }, field('attachment', '{}', "'connector' is a required property")],
        [{ attachment: { connector: {} } }, field('connector', '{}', '{} does not have enough properties')],
        [{ attachment: { connector: null } }, field('connector', 'None', "None is not of type 'object'")],
        [
          { attachment: { connector: { host: 'h' }, mode: 'rw' } },
          field(
            'attachment',
            "{'connector': {'host': 'h'}, 'mode': 'rw'}",
            "Additional properties are not allowed ('mode' was unexpected)",
          ),
        ],
      ];
      for (const [body, message] of badUpdates) {
        fault(await send('put', `${base}/attachments/${id}`, body), 'badRequest', 400, message);
      }
      fault(
        await send('post', `${base}/attachments/${id}/action`, { 'os-foo': {} }),
        'badRequest',
        400,
        'There is no such action: os-foo',
      );
      expect({ row: await row(vol), attachments: await attachmentRows(vol) }).toEqual(before);
    });

    it('an exact schema message: Cinder words it as for every body', async () => {
      const res = await create({ instance_uuid: INSTANCE });
      fault(
        res,
        'badRequest',
        400,
        "Invalid input for field/attribute attachment. Value: {'instance_uuid': '" +
          INSTANCE +
          "'}. 'volume_uuid' is a required property",
      );
    });

    it("update of a volume in error and a backend without connections answer Cinder's 500 texts", async () => {
      const vol = await createVolume();
      const id = await reserve(vol);
      await h.ds.query("UPDATE volumes SET status = 'error' WHERE id = ?", [vol]);
      fault(
        await send('put', `${base}/attachments/${id}`, { attachment: { connector } }),
        'computeFault',
        500,
        `Unable to update attachment.(Invalid volume: Volume attachments can not be updated if the volume is in an error state. The Volume ${vol} currently has a status of: error ).`,
      );
      expect(await attachmentRows(vol)).toEqual([{ attach_status: 'reserved', deleted: 0 }]);

      // The harness's API has no connection source: the backend cannot connect.
      const other = await createVolume();
      fault(
        await send(
          'post',
          `${base}/attachments`,
          { attachment: { volume_uuid: other, instance_uuid: INSTANCE, connector } },
          USER,
          V,
          h.app,
        ),
        'computeFault',
        500,
        'Unable to create attachment for volume (Bad or unexpected response from the storage volume backend API: Unable to fetch connection information from backend.).',
      );
    });
  });
}
