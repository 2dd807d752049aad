/**
 * The volumes API through HTTP (supertest on createApp with the real routes, VolumeAPI, quota engine and
 * database; only the outbound scheduler/volume casts are fakes). Shared by the SQLite and MariaDB runs.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import type { TestDatabase } from '../../helpers/db';
import {
  ADMIN,
  OTHER,
  OTHER_USER,
  PROJECT,
  USER,
  dbState,
  makeHarness,
  truncate,
  type Harness,
} from './harness';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function volumeApiSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`volumes API over HTTP (${label})`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = makeHarness(await makeDb());
    });
    afterAll(async () => {
      await h?.db.drop();
    });
    beforeEach(async () => {
      await truncate(h.ds);
      h.api.db.invalidateTypes();
      h.scheduler.fail = null;
      h.scheduler.casts.length = 0;
      h.backend.deletes.length = 0;
      h.backend.extends.length = 0;
      h.backend.snapshotCasts.length = 0;
      h.scheduler.placeOn = null;
      h.backend.fail = null;
    });

    const base = `/v3/${PROJECT}`;
    function post(path: string, body: unknown, token = USER, version?: string): request.Test {
      const r = request(h.app).post(path).set('X-Auth-Token', token).set('Content-Type', 'application/json');
      return (version === undefined ? r : r.set('OpenStack-API-Version', version)).send(JSON.stringify(body));
    }
    function put(path: string, body: unknown, token = USER): request.Test {
      return request(h.app)
        .put(path)
        .set('X-Auth-Token', token)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(body));
    }
    function get(path: string, token = USER, version?: string): request.Test {
      const r = request(h.app).get(path).set('X-Auth-Token', token);
      return version === undefined ? r : r.set('OpenStack-API-Version', version);
    }
    function del(path: string, token = USER): request.Test {
      return request(h.app).delete(path).set('X-Auth-Token', token);
    }
    async function create(volume: Record<string, unknown>, token = USER, project = PROJECT): Promise<Body> {
      const res = await post(`/v3/${project}/volumes`, { volume }, token);
      expect(res.status).toBe(202);
      return (res.body as Body).volume as Body;
    }
    /** Usage must equal exactly what the live (non-deleted) volumes hold. */
    async function expectConsistentQuota(project = PROJECT): Promise<void> {
      const s = await dbState(h.ds, project);
      const live = s.volumes.filter((v) => v.deleted === 0);
      expect(s.reservations).toBe(0);
      expect(s.usage.volumes?.in_use ?? 0).toBe(live.length);
      expect(s.usage.gigabytes?.in_use ?? 0).toBe(live.reduce((n, v) => n + v.size, 0));
      expect(s.usage.volumes?.reserved ?? 0).toBe(0);
      expect(s.usage.gigabytes?.reserved ?? 0).toBe(0);
    }

    describe('POST /volumes', () => {
      it("answers 202 with Cinder's body, writes the row and commits the quota", async () => {
        const res = await post(`${base}/volumes`, {
          volume: { size: 2, name: ' vol-a ', metadata: { env: 'test' } },
        });

        expect(res.status).toBe(202);
        expect(res.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
        expect(res.headers['openstack-api-version']).toBe('volume 3.0');
        const v = (res.body as Body).volume as Body;
        expect(v).toMatchObject({
          status: 'creating',
          size: 2,
          availability_zone: 'nova',
          name: 'vol-a',
          description: null,
          volume_type: '__DEFAULT__',
          metadata: { env: 'test' },
          user_id: 'alice',
          bootable: 'false',
          encrypted: false,
          updated_at: null,
          attachments: [],
        });
        expect(v.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(v.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
        expect(v['os-vol-tenant-attr:tenant_id']).toBeUndefined();
        const s = await dbState(h.ds);
        expect(s.volumes).toEqual([{ id: v.id, status: 'creating', size: 2, deleted: 0 }]);
        expect(s.metadata).toBe(1);
        expect(s.usage).toMatchObject({
          volumes: { in_use: 1, reserved: 0 },
          gigabytes: { in_use: 2, reserved: 0 },
        });
        expect(h.scheduler.casts).toHaveLength(1);
        expect(h.scheduler.casts[0]!.args.volumeId).toBe(v.id);
        expect(h.scheduler.casts[0]!.ctx).toMatchObject({ projectId: PROJECT, userId: 'alice' });
        await expectConsistentQuota();
      });

      it('serves the project-less form with project-less links', async () => {
        const res = await post('/v3/volumes', { volume: { size: 1 } });

        expect(res.status).toBe(202);
        const v = (res.body as Body).volume as Body;
        expect((v.links as Body[])[0]!.href).toMatch(new RegExp(`/v3/volumes/${String(v.id)}$`));
        expect((await dbState(h.ds)).volumes).toHaveLength(1);
      });

      it('creates with a named type and shows volume_type_id at 3.63+', async () => {
        const t = await post(`${base}/types`, { volume_type: { name: 'gold' } }, ADMIN);
        expect(t.status).toBe(200);

        const res = await post(
          `${base}/volumes`,
          { volume: { size: 1, volume_type: 'gold' } },
          USER,
          'volume 3.70',
        );

        expect(res.status).toBe(202);
        expect((res.body as Body).volume).toMatchObject({
          volume_type: 'gold',
          volume_type_id: (t.body as Body).volume_type.id,
        });
        expect((await dbState(h.ds)).usage).toMatchObject({
          volumes_gold: { in_use: 1, reserved: 0 },
          gigabytes_gold: { in_use: 1, reserved: 0 },
        });
      });

      it("answers Cinder's 413 VolumeLimitExceeded, leaving no row and no reservation", async () => {
        expect(
          (await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { volumes: 2 } }, ADMIN)).status,
        ).toBe(200);
        await create({ size: 1 });
        await create({ size: 1 });

        const res = await post(`${base}/volumes`, { volume: { size: 1 } });

        expect(res.status).toBe(413);
        expect(res.headers['retry-after']).toBe('0');
        expect(res.body).toEqual({
          overLimit: {
            code: 413,
            message:
              "VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes'.",
            retryAfter: '0',
          },
        });
        expect((await dbState(h.ds)).volumes).toHaveLength(2);
        await expectConsistentQuota();
      });

      it("answers Cinder's 413 VolumeSizeExceedsAvailableQuota with what has been consumed", async () => {
        expect(
          (await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { gigabytes: 3 } }, ADMIN)).status,
        ).toBe(200);
        await create({ size: 2 });

        const res = await post(`${base}/volumes`, { volume: { size: 2 } });

        expect(res.status).toBe(413);
        expect((res.body as Body).overLimit.message).toBe(
          'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 3G and 2G has been consumed.',
        );
        await expectConsistentQuota();
      });

      it('answers 500 without detail when the scheduler cast fails, leaving the row in error and the quota returned (once)', async () => {
        h.scheduler.fail = new Error('broker unreachable');

        const res = await post(`${base}/volumes`, { volume: { size: 4 } });
        h.scheduler.fail = null;

        expect(res.status).toBe(500);
        expect(JSON.stringify(res.body)).not.toContain('broker');
        const s = await dbState(h.ds);
        expect(s.volumes).toEqual([{ id: expect.any(String), status: 'error', size: 4, deleted: 0 }]);
        expect(s.usage.volumes?.in_use ?? 0).toBe(0);
        expect(s.usage.gigabytes?.in_use ?? 0).toBe(0);
        expect(s.reservations).toBe(0);
        // Cinder's consumes_quota (3.65) shows the row no longer counts.
        const shown = await get(`${base}/volumes/${s.volumes[0]!.id}`, USER, 'volume 3.65');
        expect((shown.body as Body).volume).toMatchObject({ status: 'error', consumes_quota: false });

        // Deleting the error row gives nothing back a second time.
        expect((await del(`${base}/volumes/${s.volumes[0]!.id}`)).status).toBe(202);
        const after = await dbState(h.ds);
        expect(after.volumes).toEqual([{ id: s.volumes[0]!.id, status: 'deleted', size: 4, deleted: 1 }]);
        expect(after.usage.volumes?.in_use ?? 0).toBe(0);
        expect(after.usage.gigabytes?.in_use ?? 0).toBe(0);
        expect(after.reservations).toBe(0);
        await expectConsistentQuota();
      });

      it('creates from a snapshot-less source volume, inheriting size; refuses a smaller size', async () => {
        const src = await create({ size: 2 });
        await h.ds.query("UPDATE volumes SET status = 'available', host = 'h@b#p' WHERE id = ?", [src.id]);

        const small = await post(`${base}/volumes`, { volume: { source_volid: src.id, size: 1 } });
        const ok = await post(`${base}/volumes`, { volume: { source_volid: src.id } });

        expect(small.status).toBe(400);
        expect((small.body as Body).badRequest.message).toBe(
          "Invalid input received: Volume size '1'GB cannot be smaller than original volume size  2GB. They must be >= original volume size.",
        );
        expect(ok.status).toBe(202);
        expect((ok.body as Body).volume).toMatchObject({ size: 2, source_volid: src.id });
        await expectConsistentQuota();
      });
    });

    describe('bad inputs: status, message, and nothing left behind', () => {
      const missing = '445d4156-38b5-4739-8630-d79fd477a410';
      const cases: { name: string; body: unknown; status: number; fault: string; message: string }[] = [
        {
          name: 'size 0',
          body: { volume: { size: 0 } },
          status: 400,
          fault: 'badRequest',
          message: 'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
        },
        {
          name: "size 'abc'",
          body: { volume: { size: 'abc' } },
          status: 400,
          fault: 'badRequest',
          message: "Invalid input for field/attribute size. Value: abc. 'abc' does not match '^[0-9]+$'",
        },
        {
          name: 'no size',
          body: { volume: {} },
          status: 400,
          fault: 'badRequest',
          message:
            'Invalid input received: A volume size is required unless the volume is created from a snapshot, a source volume, a backup or an image.',
        },
        {
          name: 'missing volume key',
          body: { size: 1 },
          status: 400,
          fault: 'badRequest',
          message: "'volume' is a required property",
        },
        {
          name: 'unknown type',
          body: { volume: { size: 1, volume_type: 'no-such-type' } },
          status: 404,
          fault: 'itemNotFound',
          message: 'Volume type with name no-such-type could not be found.',
        },
        {
          name: 'unknown type id',
          body: { volume: { size: 1, volume_type: missing } },
          status: 404,
          fault: 'itemNotFound',
          message: `Volume type ${missing} could not be found.`,
        },
        {
          name: 'bad availability zone',
          body: { volume: { size: 1, availability_zone: 'nowhere' } },
          status: 400,
          fault: 'badRequest',
          message: "Availability zone 'nowhere' is invalid.",
        },
        {
          name: 'unknown snapshot',
          body: { volume: { size: 1, snapshot_id: missing } },
          status: 404,
          fault: 'itemNotFound',
          message: `Snapshot ${missing} could not be found.`,
        },
        {
          name: 'unknown source volume',
          body: { volume: { size: 1, source_volid: missing } },
          status: 404,
          fault: 'itemNotFound',
          message: `Volume ${missing} could not be found.`,
        },
        {
          name: 'image (no image service)',
          body: { volume: { size: 1, imageRef: missing } },
          status: 404,
          fault: 'itemNotFound',
          message: `Image ${missing} could not be found.`,
        },
        {
          name: 'name 256 chars',
          body: { volume: { size: 1, name: 'n'.repeat(256) } },
          status: 400,
          fault: 'badRequest',
          message: 'Invalid input received: name has 256 characters, more than 255.',
        },
        {
          name: 'multiattach true',
          body: { volume: { size: 1, multiattach: true } },
          status: 400,
          fault: 'badRequest',
          message: expect.stringContaining('multiattach parameter has been removed') as unknown as string,
        },
        {
          name: 'size over DB int',
          body: { volume: { size: 2147483648 } },
          status: 400,
          fault: 'badRequest',
          message:
            'Invalid input for field/attribute size. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
        },
        {
          name: 'unknown top-level key',
          body: { volume: { size: 1 }, bogus: 1 },
          status: 400,
          fault: 'badRequest',
          message: "Additional properties are not allowed ('bogus' was unexpected)",
        },
        {
          name: 'metadata key with a slash-free bad char',
          body: { volume: { size: 1, metadata: { 'a*b': 'v' } } },
          status: 400,
          fault: 'badRequest',
          message:
            "Invalid input for field/attribute metadata. Value: {'a*b': 'v'}. 'a*b' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'",
        },
      ];

      it.each(cases)('$name → $status', async ({ body, status, fault, message }) => {
        const res = await post(`${base}/volumes`, body);

        expect(res.status).toBe(status);
        expect(res.body).toEqual({ [fault]: { code: status, message } });
        const s = await dbState(h.ds);
        expect(s.volumes).toEqual([]);
        expect(s.reservations).toBe(0);
        expect(s.metadata).toBe(0);
        expect(s.usage).toEqual({});
        expect(h.scheduler.casts).toHaveLength(0);
      });

      it('refuses snapshot and source volume together', async () => {
        const src = await create({ size: 1 });
        await h.ds.query("UPDATE volumes SET status = 'available', host = 'h' WHERE id = ?", [src.id]);
        await h.ds.query(
          "INSERT INTO snapshots (id, volume_id, project_id, user_id, status, volume_size, created_at, deleted) VALUES ('5a5a5a5a-5a5a-45a5-a5a5-5a5a5a5a5a5a', ?, ?, 'alice', 'available', 1, '2026-01-01 00:00:00', 0)",
          [src.id, PROJECT],
        );
        const before = await dbState(h.ds);

        const res = await post(`${base}/volumes`, {
          volume: { snapshot_id: '5a5a5a5a-5a5a-45a5-a5a5-5a5a5a5a5a5a', source_volid: src.id },
        });

        expect(res.status).toBe(400);
        expect((res.body as Body).badRequest.message).toBe(
          'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
        );
        expect(await dbState(h.ds)).toEqual(before);
      });

      it('answers malformed JSON and a wrong content type with 4xx and writes nothing', async () => {
        const bad = await request(h.app)
          .post(`${base}/volumes`)
          .set('X-Auth-Token', USER)
          .set('Content-Type', 'application/json')
          .send('{"volume": ');
        const text = await request(h.app)
          .post(`${base}/volumes`)
          .set('X-Auth-Token', USER)
          .set('Content-Type', 'text/plain')
          .send('{"volume": {"size": 1}}');

        expect(bad.status).toBe(400);
        expect(bad.body).toEqual({ badRequest: { code: 400, message: 'Malformed request body' } });
        expect(text.status).toBe(415);
        expect((await dbState(h.ds)).volumes).toEqual([]);
      });
    });

    describe('GET show / list / detail', () => {
      it('shows a volume (admin sees the extension attributes) and 404s unknown ids', async () => {
        const v = await create({ size: 1, name: 'shown' });

        const mine = await get(`${base}/volumes/${String(v.id)}`);
        const admin = await get(`${base}/volumes/${String(v.id)}`, ADMIN);
        const unknown = await get(`${base}/volumes/445d4156-38b5-4739-8630-d79fd477a410`);
        const notUuid = await get(`${base}/volumes/not-a-uuid`);

        expect(mine.status).toBe(200);
        expect((mine.body as Body).volume).toMatchObject({
          id: v.id,
          name: 'shown',
          status: 'creating',
          volume_type: '__DEFAULT__',
        });
        expect((mine.body as Body).volume['os-vol-tenant-attr:tenant_id']).toBeUndefined();
        expect((admin.body as Body).volume).toMatchObject({
          'os-vol-tenant-attr:tenant_id': PROJECT,
          'os-vol-host-attr:host': null,
        });
        expect(unknown.status).toBe(404);
        expect(unknown.body).toEqual({
          itemNotFound: {
            code: 404,
            message: 'Volume 445d4156-38b5-4739-8630-d79fd477a410 could not be found.',
          },
        });
        expect(notUuid.body).toEqual({
          itemNotFound: { code: 404, message: 'Volume not-a-uuid could not be found.' },
        });
      });

      it('pages with limit and marker, with next links, newest first by default', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(String((await create({ size: 1, name: `v${i}` })).id));

        const p1 = await get(`${base}/volumes?limit=2`);
        const p2 = await get(`${base}/volumes?limit=2&marker=${ids[3]!}`);
        const p3 = await get(`${base}/volumes?limit=2&marker=${ids[1]!}`);

        expect((p1.body as Body).volumes.map((v: Body) => v.name)).toEqual(['v4', 'v3']);
        expect((p1.body as Body).volumes_links[0].href).toMatch(
          new RegExp(`/v3/${PROJECT}/volumes\\?limit=2&marker=${ids[3]!}$`),
        );
        expect((p2.body as Body).volumes.map((v: Body) => v.name)).toEqual(['v2', 'v1']);
        expect((p3.body as Body).volumes.map((v: Body) => v.name)).toEqual(['v0']);
        expect((p3.body as Body).volumes_links).toBeUndefined();
        expect(Object.keys((p1.body as Body).volumes[0])).toEqual(['id', 'name', 'links']);
      });

      it('sorts by several keys and pages through a sort with ties', async () => {
        for (const [i, size] of [3, 1, 3, 2, 1].entries()) await create({ size, name: `s${i}` });

        const all = await get(`${base}/volumes/detail?sort=size:desc,name:asc`);
        const seen: string[] = [];
        let marker = '';
        for (let i = 0; i < 5; i++) {
          const page = await get(`${base}/volumes/detail?sort=size:desc,name:asc&limit=2${marker}`);
          const vols = (page.body as Body).volumes as Body[];
          if (vols.length === 0) break;
          seen.push(...vols.map((v) => String(v.name)));
          marker = `&marker=${String(vols.at(-1)!.id)}`;
        }

        expect((all.body as Body).volumes.map((v: Body) => v.name)).toEqual(['s0', 's2', 's3', 's1', 's4']);
        expect(seen).toEqual(['s0', 's2', 's3', 's1', 's4']);
      });

      it('pages through a sort on a nullable column (names partly null) in both directions without loss', async () => {
        for (const name of [null, 'b', null, 'a', 'c', null])
          await create(name === null ? { size: 1 } : { size: 1, name });

        for (const dir of ['asc', 'desc']) {
          const all = ((await get(`${base}/volumes?sort=name:${dir}`)).body as Body).volumes.map(
            (v: Body) => v.id,
          );
          const paged: string[] = [];
          let marker = '';
          for (let i = 0; i < 10; i++) {
            const vols = ((await get(`${base}/volumes?sort=name:${dir}&limit=2${marker}`)).body as Body)
              .volumes as Body[];
            if (vols.length === 0) break;
            paged.push(...vols.map((v) => String(v.id)));
            marker = `&marker=${String(vols.at(-1)!.id)}`;
          }
          expect(paged).toEqual(all);
          expect(new Set(paged).size).toBe(6);
        }
      });

      it('filters by status, name and metadata; unknown filters are ignored', async () => {
        const a = await create({ size: 1, name: 'alpha', metadata: { env: 'test' } });
        await create({ size: 1, name: 'beta', metadata: { env: 'prod' } });
        await h.ds.query("UPDATE volumes SET status = 'available' WHERE id = ?", [a.id]);

        const byStatus = await get(`${base}/volumes?status=available`);
        const byName = await get(`${base}/volumes?name=beta`);
        const byMeta = await get(`${base}/volumes?metadata=${encodeURIComponent("{'env':'test'}")}`);
        const bogus = await get(`${base}/volumes?bogus_filter=1`);

        expect((byStatus.body as Body).volumes.map((v: Body) => v.name)).toEqual(['alpha']);
        expect((byName.body as Body).volumes.map((v: Body) => v.name)).toEqual(['beta']);
        expect((byMeta.body as Body).volumes.map((v: Body) => v.name)).toEqual(['alpha']);
        expect((bogus.body as Body).volumes).toHaveLength(2);
      });

      it("answers Cinder's 400s for bad list parameters and 404 for an unknown marker", async () => {
        const badSort = await get(`${base}/volumes?sort=bogus:asc`);
        const badDir = await get(`${base}/volumes?sort=size:sideways`);
        const badLimit = await get(`${base}/volumes?limit=abc`);
        const marker = await get(`${base}/volumes?marker=ff79e730-fc49-4672-8ddd-49b51818adcf`);

        expect(badSort.body).toEqual({
          badRequest: { code: 400, message: 'Invalid input received: Invalid sort key' },
        });
        expect(badDir.body).toEqual({
          badRequest: {
            code: 400,
            message: "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.",
          },
        });
        expect(badLimit.body).toEqual({
          badRequest: { code: 400, message: 'limit param must be an integer' },
        });
        expect(marker.status).toBe(404);
      });

      it('sums the project\'s volumes at 3.12 (with metadata values at 3.36); below 3.12 "summary" is an id', async () => {
        await create({ size: 2, metadata: { env: 'a' } });
        await create({ size: 3, metadata: { env: 'b' } });
        await create({ size: 4 }, OTHER_USER, OTHER);

        const res = await get(`${base}/volumes/summary`, USER, 'volume 3.36');
        const old = await get(`${base}/volumes/summary`);

        expect(res.body).toEqual({
          'volume-summary': { total_count: 2, total_size: 5, metadata: { env: ['a', 'b'] } },
        });
        expect(old.status).toBe(404);
        expect(old.body).toEqual({
          itemNotFound: { code: 404, message: 'Volume summary could not be found.' },
        });
      });

      it('counts with with_count at 3.45', async () => {
        for (let i = 0; i < 3; i++) await create({ size: 1 });

        const res = await get(`${base}/volumes?with_count=true&limit=1`, USER, 'volume 3.45');

        expect((res.body as Body).count).toBe(3);
        expect((res.body as Body).volumes).toHaveLength(1);
      });
    });

    describe('isolation between projects', () => {
      it("hides other projects' volumes (404) and lists only one's own", async () => {
        const mine = await create({ size: 1 });
        await create({ size: 1 }, OTHER_USER, OTHER);

        const show = await get(`/v3/${OTHER}/volumes/${String(mine.id)}`, OTHER_USER);
        const upd = await put(
          `/v3/${OTHER}/volumes/${String(mine.id)}`,
          { volume: { name: 'x' } },
          OTHER_USER,
        );
        const delOther = await del(`/v3/${OTHER}/volumes/${String(mine.id)}`, OTHER_USER);
        const list = await get(`/v3/${OTHER}/volumes`, OTHER_USER);

        expect(show.status).toBe(404);
        expect(upd.status).toBe(404);
        expect(delOther.status).toBe(404);
        expect((list.body as Body).volumes).toHaveLength(1);
        expect((await dbState(h.ds)).volumes).toEqual([expect.objectContaining({ id: mine.id, deleted: 0 })]);
      });

      it("refuses a URL project that is not the token's, unless admin", async () => {
        const res = await get(`/v3/${OTHER}/volumes`, USER);
        const admin = await get(`/v3/${OTHER}/volumes`, ADMIN);

        expect(res.status).toBe(400);
        expect(res.body).toEqual({ badRequest: { code: 400, message: 'Malformed request url' } });
        expect(admin.status).toBe(200);
      });

      it('answers 403 on admin-only endpoints for a member', async () => {
        const quota = await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { volumes: 100 } });
        const type = await post(`${base}/types`, { volume_type: { name: 'x' } });
        const otherQuota = await get(`${base}/os-quota-sets/${OTHER}`);

        expect(quota.status).toBe(403);
        expect(quota.body).toEqual({
          forbidden: {
            code: 403,
            message: "Policy doesn't allow volume_extension:quotas:update to be performed.",
          },
        });
        expect(type.status).toBe(403);
        expect(otherQuota.status).toBe(403);
      });
    });

    describe('PUT and DELETE', () => {
      it('updates name and description and replaces metadata', async () => {
        const v = await create({ size: 1, metadata: { a: '1', b: '2' } });

        const res = await put(`${base}/volumes/${String(v.id)}`, {
          volume: { name: 'new', description: 'd', metadata: { c: '3' } },
        });

        expect(res.status).toBe(200);
        expect((res.body as Body).volume).toMatchObject({
          name: 'new',
          description: 'd',
          metadata: { c: '3' },
        });
        expect((await get(`${base}/volumes/${String(v.id)}/metadata`)).body).toEqual({
          metadata: { c: '3' },
        });
        const size = await put(`${base}/volumes/${String(v.id)}`, { volume: { size: 5 } });
        expect(size.status).toBe(400);
      });

      it('serves volume metadata as Cinder: merge, replace, item get/put/delete, and from 3.15 an Etag with If-Match', async () => {
        const v = await create({ size: 1, metadata: { a: '1' } });
        const url = `${base}/volumes/${String(v.id)}/metadata`;

        const merged = await post(url, { metadata: { b: '2' } });
        const item = await get(`${url}/b`);
        const missing = await get(`${url}/zz`);
        const mismatch = await request(h.app)
          .put(`${url}/b`)
          .set('X-Auth-Token', USER)
          .set('Content-Type', 'application/json')
          .send({ meta: { c: '3' } });
        const at315 = await get(url, USER, 'volume 3.15');
        const stale = await request(h.app)
          .put(url)
          .set('X-Auth-Token', USER)
          .set('OpenStack-API-Version', 'volume 3.15')
          .set('If-Match', '"0123456789abcdef0123456789abcdef"')
          .set('Content-Type', 'application/json')
          .send({ metadata: { x: 'y' } });
        const fresh = await request(h.app)
          .put(url)
          .set('X-Auth-Token', USER)
          .set('OpenStack-API-Version', 'volume 3.15')
          .set('If-Match', `"${String(at315.headers['etag'])}"`)
          .set('Content-Type', 'application/json')
          .send({ metadata: { x: 'y' } });
        const removed = await del(`${url}/x`);

        expect(merged.body).toEqual({ metadata: { a: '1', b: '2' } });
        expect(item.body).toEqual({ meta: { b: '2' } });
        expect(missing.status).toBe(404);
        expect(missing.body).toEqual({
          itemNotFound: { code: 404, message: `Volume ${String(v.id)} has no metadata with key zz.` },
        });
        expect(mismatch.status).toBe(400);
        expect(mismatch.body).toEqual({
          badRequest: { code: 400, message: 'Request body and URI mismatch' },
        });
        expect(at315.status).toBe(200);
        expect(at315.headers['content-type']).toBe('text/html; charset=UTF-8');
        expect(at315.headers['x-compute-request-id']).toBeUndefined();
        expect(at315.headers['openstack-api-version']).toBe('volume 3.15');
        expect(at315.text).toBe('{"metadata": {"a": "1", "b": "2"}}');
        expect(at315.headers['etag']).toBe(
          createHash('md5').update('{"metadata": {"a": "1", "b": "2"}}').digest('hex'),
        );
        expect(stale.status).toBe(412);
        expect(stale.text).toBe('');
        expect(fresh.status).toBe(200);
        expect(fresh.body).toEqual({ metadata: { x: 'y' } });
        expect(removed.status).toBe(200);
        expect(removed.text).toBe('');
        expect(removed.headers['content-type']).toBe('text/html; charset=UTF-8');
        expect(removed.headers['x-compute-request-id']).toBeUndefined();
        expect((await get(url)).body).toEqual({ metadata: {} });
      });

      it('deletes an unscheduled volume at once (202, empty) and gives its quota back', async () => {
        const v = await create({ size: 3 });

        const res = await del(`${base}/volumes/${String(v.id)}`);
        const again = await del(`${base}/volumes/${String(v.id)}`);

        expect(res.status).toBe(202);
        expect(res.text).toBe('');
        expect(again.status).toBe(404);
        expect((await get(`${base}/volumes/${String(v.id)}`)).status).toBe(404);
        const s = await dbState(h.ds);
        expect(s.volumes).toEqual([expect.objectContaining({ id: v.id, deleted: 1 })]);
        expect(s.usage.volumes?.in_use ?? 0).toBe(0);
        expect(s.usage.gigabytes?.in_use ?? 0).toBe(0);
        expect(h.backend.deletes).toEqual([]);
      });

      it('casts the delete of a placed volume to its host, after setting deleting', async () => {
        h.scheduler.placeOn = 'host1@fake#pool';
        const v = await create({ size: 1 });

        const res = await del(`${base}/volumes/${String(v.id)}`);

        expect(res.status).toBe(202);
        expect(h.backend.deletes).toEqual([{ host: 'host1@fake#pool', volumeId: v.id }]);
        expect((await dbState(h.ds)).volumes[0]!.status).toBe('deleting');
      });

      it('refuses to delete a placed volume in a state Cinder refuses, and one with snapshots', async () => {
        h.scheduler.placeOn = 'host1@fake#pool';
        const busy = await create({ size: 1 });
        const snapped = await create({ size: 1 });
        await h.ds.query("UPDATE volumes SET status = 'extending' WHERE id = ?", [busy.id]);
        await h.ds.query(
          "INSERT INTO snapshots (id, volume_id, project_id, user_id, status, volume_size, created_at, deleted) VALUES ('6b6b6b6b-6b6b-46b6-b6b6-6b6b6b6b6b6b', ?, ?, 'alice', 'available', 1, '2026-01-01 00:00:00', 0)",
          [snapped.id, PROJECT],
        );

        const r1 = await del(`${base}/volumes/${String(busy.id)}`);
        const r2 = await del(`${base}/volumes/${String(snapped.id)}`);

        for (const r of [r1, r2]) {
          expect(r.status).toBe(400);
          expect((r.body as Body).badRequest.message).toMatch(
            /^Invalid volume: Volume status must be available or error or error_restoring/,
          );
        }
        expect(h.backend.deletes).toEqual([]);
      });
    });

    describe('extend, quotas, limits, types, zones', () => {
      it('extends an available volume through the extend flow with a gigabytes reservation', async () => {
        h.scheduler.placeOn = 'host1@fake#pool';
        const v = await create({ size: 1 });

        const small = await post(`${base}/volumes/${String(v.id)}/action`, { 'os-extend': { new_size: 1 } });
        const res = await post(`${base}/volumes/${String(v.id)}/action`, { 'os-extend': { new_size: 3 } });
        const again = await post(`${base}/volumes/${String(v.id)}/action`, { 'os-extend': { new_size: 4 } });

        expect(small.status).toBe(400);
        expect((small.body as Body).badRequest.message).toBe(
          'Invalid input received: New size for extend must be greater than current size. (current: 1, extended: 1).',
        );
        expect(res.status).toBe(202);
        // An action's 202 is Cinder's serialized empty answer (not the bare webob 202 of a DELETE).
        expect(res.text).toBe('');
        expect(res.headers['content-type']).toBe('application/json');
        expect(res.headers['x-compute-request-id']).toBe(res.headers['x-openstack-request-id']);
        expect(h.backend.extends).toEqual([
          expect.objectContaining({ volumeId: v.id, newSizeGb: 3, host: 'host1@fake#pool' }),
        ]);
        expect(again.status).toBe(400);
        expect(again.body).toEqual({
          badRequest: {
            code: 400,
            message: `Invalid volume: Volume ${String(v.id)} status must be '{'status': 'available'}' to extend, currently extending.`,
          },
        });
        // As in Cinder, the size is checked before the status.
        const smallAgain = await post(`${base}/volumes/${String(v.id)}/action`, {
          'os-extend': { new_size: 1 },
        });
        expect((smallAgain.body as Body).badRequest.message).toBe(
          'Invalid input received: New size for extend must be greater than current size. (current: 1, extended: 1).',
        );
        const s = await dbState(h.ds);
        expect(s.volumes[0]!.status).toBe('extending');
        expect(s.usage.gigabytes).toEqual({ in_use: 1, reserved: 2 });
      });

      it("os-reset_status (admin) sets a volume's and a snapshot's status; refuses members and bad statuses with Cinder's messages", async () => {
        h.scheduler.placeOn = 'host1@fake#pool';
        const v = await create({ size: 1 });
        const action = (body: unknown, token = ADMIN) =>
          post(`${base}/volumes/${String(v.id)}/action`, body, token);

        const ok = await action({ 'os-reset_status': { status: 'Error', migration_status: 'none' } });
        const member = await action({ 'os-reset_status': { status: 'available' } }, USER);
        const empty = await action({ 'os-reset_status': {} });
        const bad = await action({ 'os-reset_status': { status: 'bogus' } });
        const badAttach = await action({ 'os-reset_status': { attach_status: 'glued' } });
        const unknown = await action({ 'os-frobnicate': {} });
        const forceMember = await action({ 'os-force_delete': {} }, USER);

        expect(ok.status).toBe(202);
        expect(ok.text).toBe('');
        expect((await dbState(h.ds)).volumes[0]!.status).toBe('error');
        expect(member.status).toBe(403);
        expect(member.body).toEqual({
          forbidden: {
            code: 403,
            message:
              "Policy doesn't allow volume_extension:volume_admin_actions:reset_status to be performed.",
          },
        });
        expect(empty.body).toEqual({
          badRequest: {
            code: 400,
            message: "Must specify 'status', 'attach_status' or 'migration_status' for update.",
          },
        });
        expect((bad.body as Body).badRequest.message).toMatch(
          /^Volume status: bogus is invalid, valid statuses are: \('creating', 'available', 'deleting', 'error', /,
        );
        expect(badAttach.body).toEqual({
          badRequest: {
            code: 400,
            message: "Volume attach status: glued is invalid, valid statuses are: ['attached', 'detached'].",
          },
        });
        expect(unknown.body).toEqual({
          badRequest: { code: 400, message: 'There is no such action: os-frobnicate' },
        });
        expect(forceMember.body).toEqual({
          forbidden: {
            code: 403,
            message:
              "Policy doesn't allow volume_extension:volume_admin_actions:force_delete to be performed.",
          },
        });

        await action({ 'os-reset_status': { status: 'available' } });
        const snapId = String(
          ((await post(`${base}/snapshots`, { snapshot: { volume_id: v.id } })).body as Body).snapshot.id,
        );
        const snapReset = await post(
          `${base}/snapshots/${snapId}/action`,
          { 'os-reset_status': { status: 'error' } },
          ADMIN,
        );
        const snapBad = await post(
          `${base}/snapshots/${snapId}/action`,
          { 'os-reset_status': { status: 'nope' } },
          ADMIN,
        );
        const snapMember = await post(
          `${base}/snapshots/${snapId}/action`,
          { 'os-reset_status': { status: 'available' } },
          USER,
        );

        expect(snapReset.status).toBe(202);
        expect(((await get(`${base}/snapshots/${snapId}`)).body as Body).snapshot.status).toBe('error');
        expect((snapBad.body as Body).badRequest.message).toBe(
          "Snapshot status: nope is invalid, valid statuses are: ('error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'error_deleting', 'unmanaging', 'backing-up', 'restoring').",
        );
        expect(snapMember.status).toBe(403);
        const snapForce = await post(`${base}/snapshots/${snapId}/action`, { 'os-force_delete': {} }, ADMIN);
        expect(snapForce.status).toBe(202);
        expect(h.backend.snapshotCasts.at(-1)).toBe(`delete host1@fake#pool ${snapId}`);
        const volForce = await action({ 'os-force_delete': {} });
        expect(volForce.status).toBe(400); // its snapshot is still there (deleting): refused even when forced
        expect((volForce.body as Body).badRequest.message).toBe(
          'Invalid volume: Volume must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
        );
      });

      it('refuses an extend over the gigabytes quota with 413 and no reservation', async () => {
        h.scheduler.placeOn = 'host1@fake#pool';
        expect(
          (await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { gigabytes: 2 } }, ADMIN)).status,
        ).toBe(200);
        const v = await create({ size: 1 });

        const res = await post(`${base}/volumes/${String(v.id)}/action`, { 'os-extend': { new_size: 5 } });

        expect(res.status).toBe(413);
        expect((res.body as Body).overLimit.message).toBe(
          'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 4G, quota is 2G and 1G has been consumed.',
        );
        const s = await dbState(h.ds);
        expect(s.volumes[0]!.status).toBe('available');
        expect(s.reservations).toBe(0);
      });

      it('shows quota sets, usage, defaults and limits; refuses a limit below usage', async () => {
        await create({ size: 2 });

        const show = await get(`${base}/os-quota-sets/${PROJECT}`);
        const usage = await get(`${base}/os-quota-sets/${PROJECT}?usage=true`);
        const defaults = await get(`${base}/os-quota-sets/${PROJECT}/defaults`);
        const limits = await get(`${base}/limits`);
        const below = await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { gigabytes: 1 } }, ADMIN);

        expect((show.body as Body).quota_set).toMatchObject({
          volumes: 10,
          gigabytes: 1000,
          snapshots: 10,
          id: PROJECT,
          volumes___DEFAULT__: -1,
        });
        expect((usage.body as Body).quota_set.gigabytes).toEqual({ limit: 1000, in_use: 2, reserved: 0 });
        expect((defaults.body as Body).quota_set).toMatchObject({ volumes: 10, id: PROJECT });
        expect((limits.body as Body).limits.absolute).toMatchObject({
          maxTotalVolumes: 10,
          totalVolumesUsed: 1,
          totalGigabytesUsed: 2,
        });
        expect(below.status).toBe(400);
        expect((below.body as Body).badRequest.message).toBe(
          'Quota gigabytes limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.',
        );
      });

      it('shows and updates the default quota class (admin only)', async () => {
        const member = await get(`${base}/os-quota-class-sets/default`);
        const upd = await put(
          `${base}/os-quota-class-sets/default`,
          { quota_class_set: { volumes: 7 } },
          ADMIN,
        );
        const bad = await put(`${base}/os-quota-class-sets/default`, { volumes: 7 }, ADMIN);
        const show = await get(`${base}/os-quota-class-sets/default`, ADMIN);
        const project = await get(`${base}/os-quota-sets/${PROJECT}`);

        expect(member.status).toBe(403);
        expect(upd.status).toBe(200);
        expect((upd.body as Body).quota_class_set).toMatchObject({ volumes: 7, gigabytes: 1000 });
        expect(bad.body).toEqual({
          badRequest: { code: 400, message: "'quota_class_set' is a required property" },
        });
        expect((show.body as Body).quota_class_set).toMatchObject({ volumes: 7, id: 'default' });
        expect((project.body as Body).quota_set.volumes).toBe(7);
        expect(
          (await put(`${base}/os-quota-class-sets/default`, { quota_class_set: { volumes: 10 } }, ADMIN))
            .status,
        ).toBe(200);
      });

      it('lists, shows, creates and deletes types (admin), refusing duplicates and types in use', async () => {
        const created = await post(
          `${base}/types`,
          { volume_type: { name: 'ssd', extra_specs: { volume_backend_name: 'fast' } } },
          ADMIN,
        );
        const id = String((created.body as Body).volume_type.id);
        const dup = await post(`${base}/types`, { volume_type: { name: 'ssd' } }, ADMIN);
        const list = await get(`${base}/types`);
        const show = await get(`${base}/types/${id}`, ADMIN);
        await create({ size: 1, volume_type: 'ssd' });
        const inUse = await del(`${base}/types/${id}`, ADMIN);

        expect(created.status).toBe(200);
        expect(dup.status).toBe(409);
        expect((list.body as Body).volume_types.map((t: Body) => t.name).sort()).toEqual([
          '__DEFAULT__',
          'ssd',
        ]);
        // A non-admin sees extra_specs, but only the user-visible keys (Cinder 21).
        expect((list.body as Body).volume_types[0].extra_specs).toEqual({});
        expect((show.body as Body).volume_type.extra_specs).toEqual({ volume_backend_name: 'fast' });
        expect(inUse.status).toBe(400);
        expect(inUse.body).toEqual({
          badRequest: { code: 400, message: 'Target volume type is still in use.' },
        });
        const t2 = await post(`${base}/types`, { volume_type: { name: 'tmp' } }, ADMIN);
        expect((await del(`${base}/types/${String((t2.body as Body).volume_type.id)}`, ADMIN)).status).toBe(
          202,
        );
        expect((await get(`${base}/types/${String((t2.body as Body).volume_type.id)}`, ADMIN)).status).toBe(
          404,
        );
      });

      it('lists availability zones from the volume services plus the default', async () => {
        await h.ds.query(
          "INSERT INTO services (host, `binary`, topic, report_count, disabled, availability_zone, forced_down, created_at, deleted) VALUES ('h2', 'cinder-volume', 'cinder-volume', 0, 0, 'zone-b', 0, '2026-01-01 00:00:00', 0)",
        );
        h.api.db['zoneCache'] = undefined;

        const res = await get(`${base}/os-availability-zone`);
        const inB = await post(`${base}/volumes`, { volume: { size: 1, availability_zone: 'zone-b' } });

        expect((res.body as Body).availabilityZoneInfo).toEqual(
          expect.arrayContaining([
            { zoneName: 'nova', zoneState: { available: true } },
            { zoneName: 'zone-b', zoneState: { available: true } },
          ]),
        );
        expect(inB.status).toBe(202);
      });
    });

    it("list filters as Cinder: column filters, an admin's unknown filter matches nothing, a member's is dropped (refused from 3.33)", async () => {
      await create({ size: 1, name: 'small' });
      await create({ size: 3, name: 'big' });

      const bySize = await get(`${base}/volumes/detail?size=3`, ADMIN);
      const bogusAdmin = await get(`${base}/volumes?bogus_filter=1`, ADMIN);
      const bogusMember = await get(`${base}/volumes?bogus_filter=1`, USER);
      const bogusMember333 = await get(`${base}/volumes?bogus_filter=1`, USER, 'volume 3.33');
      const hostMember = await get(`${base}/volumes?host=nowhere`, USER);

      expect(((bySize.body as Body).volumes as Body[]).map((v) => v.name)).toEqual(['big']);
      expect(bogusAdmin.status).toBe(200);
      expect(bogusAdmin.body).toEqual({ volumes: [] });
      expect(((bogusMember.body as Body).volumes as Body[]).map((v) => v.name).sort()).toEqual([
        'big',
        'small',
      ]);
      expect(bogusMember333.status).toBe(400);
      expect(bogusMember333.body).toEqual({
        badRequest: { code: 400, message: 'Invalid filters bogus_filter are found in query options.' },
      });
      expect((hostMember.body as Body).volumes as Body[]).toHaveLength(2); // an admin-only filter, dropped
    });

    it('lists services with up/down for an admin (os-services) and refuses members', async () => {
      const now = new Date();
      const old = new Date(now.getTime() - 3600_000);
      const fmt = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
      await h.ds.query(
        "INSERT INTO services (host, `binary`, topic, report_count, disabled, availability_zone, forced_down, created_at, updated_at, deleted) VALUES ('h1', 'cinder-volume', 'cinder-volume', 3, 0, 'nova', 0, ?, ?, 0), ('h2', 'cinder-scheduler', 'cinder-scheduler', 1, 0, 'nova', 0, ?, ?, 0)",
        [fmt(old), fmt(now), fmt(old), fmt(old)],
      );

      const admin = await get(`${base}/os-services`, ADMIN);
      const member = await get(`${base}/os-services`);
      const filtered = await get(`${base}/os-services?binary=cinder-scheduler`, ADMIN);

      expect(admin.status).toBe(200);
      expect((admin.body as Body).services).toEqual([
        expect.objectContaining({
          binary: 'cinder-volume',
          host: 'h1',
          zone: 'nova',
          status: 'enabled',
          state: 'up',
        }),
        expect.objectContaining({ binary: 'cinder-scheduler', host: 'h2', state: 'down' }),
      ]);
      expect(member.status).toBe(403);
      expect((filtered.body as Body).services).toHaveLength(1);
    });

    describe('snapshots', () => {
      async function placed(size = 2): Promise<Body> {
        h.scheduler.placeOn = 'host1@fake#pool';
        return create({ size });
      }

      it('snapshots an available volume (quota snapshots +1, gigabytes +size) and creates a volume from it', async () => {
        const v = await placed(2);

        const res = await post(`${base}/snapshots`, { snapshot: { volume_id: v.id, name: 'snap' } });
        const snapId = String((res.body as Body).snapshot.id);
        const fromSnap = await post(`${base}/volumes`, { volume: { snapshot_id: snapId } });
        const show = await get(`${base}/snapshots/${snapId}`);
        const list = await get(`${base}/snapshots/detail`);

        expect(res.status).toBe(202);
        expect((res.body as Body).snapshot).toMatchObject({
          name: 'snap',
          volume_id: v.id,
          status: 'creating',
          size: 2,
          metadata: {},
        });
        expect(h.backend.snapshotCasts).toEqual([`create host1@fake#pool ${snapId}`]);
        expect(fromSnap.status).toBe(202);
        expect((fromSnap.body as Body).volume).toMatchObject({ size: 2, snapshot_id: snapId });
        expect((show.body as Body).snapshot).toMatchObject({
          id: snapId,
          status: 'available',
          'os-extended-snapshot-attributes:project_id': PROJECT,
        });
        expect((list.body as Body).snapshots).toHaveLength(1);
        const s = await dbState(h.ds);
        expect(s.usage.snapshots).toEqual({ in_use: 1, reserved: 0 });
        expect(s.usage.gigabytes).toEqual({ in_use: 6, reserved: 0 });
        expect(s.reservations).toBe(0);
      });

      it("lists snapshots in Cinder's views: summary without the microversion fields, detail and show with the extended attributes (project_id, progress), name filter, with_count", async () => {
        const v = await placed(1);
        const created = await post(`${base}/snapshots`, {
          snapshot: { volume_id: v.id, name: 'a', metadata: { k1: 'v1', k2: 'v2' } },
        });
        expect((created.body as Body).snapshot.metadata).toEqual({ k1: 'v1', k2: 'v2' });
        const a = String((created.body as Body).snapshot.id);
        await post(`${base}/snapshots`, { snapshot: { volume_id: v.id, name: 'b' } });

        const summary = await get(`${base}/snapshots`, USER, 'volume 3.65');
        const detail = await get(`${base}/snapshots/detail?name=a`, USER, 'volume 3.65');
        const show = await get(`${base}/snapshots/${a}`, USER, 'volume 3.41');
        const counted = await get(`${base}/snapshots?with_count=true&limit=1`, USER, 'volume 3.45');

        const base9 = [
          'id',
          'created_at',
          'updated_at',
          'name',
          'description',
          'volume_id',
          'status',
          'size',
          'metadata',
        ];
        expect(((summary.body as Body).snapshots as Body[]).map((x) => Object.keys(x))).toEqual([
          base9,
          base9,
        ]);
        expect(((detail.body as Body).snapshots as Body[]).map((x) => [x.name, x.metadata])).toEqual([
          ['a', { k1: 'v1', k2: 'v2' }],
        ]);
        expect(((show.body as Body).snapshot as Body).metadata).toEqual({ k1: 'v1', k2: 'v2' });
        expect(Object.keys(((detail.body as Body).snapshots as Body[])[0]!)).toEqual([
          ...base9,
          'group_snapshot_id',
          'user_id',
          'consumes_quota',
          'os-extended-snapshot-attributes:project_id',
          'os-extended-snapshot-attributes:progress',
        ]);
        expect(Object.keys((show.body as Body).snapshot as Body)).toEqual([
          ...base9,
          'group_snapshot_id',
          'user_id',
          'os-extended-snapshot-attributes:project_id',
          'os-extended-snapshot-attributes:progress',
        ]);
        expect(Object.keys(counted.body as Body)).toEqual(['snapshots', 'count', 'snapshots_links']);
        expect((counted.body as Body).count).toBe(2);
      });

      it("updates a snapshot's name and description (PUT), refusing an empty update as Cinder's schema does", async () => {
        const v = await placed(1);
        const id = String(
          ((await post(`${base}/snapshots`, { snapshot: { volume_id: v.id, name: 'old' } })).body as Body)
            .snapshot.id,
        );

        const res = await put(`${base}/snapshots/${id}`, { snapshot: { name: ' new ', description: 'd' } });
        const empty = await put(`${base}/snapshots/${id}`, { snapshot: {} });
        const other = await request(h.app)
          .put(`/v3/${OTHER}/snapshots/${id}`)
          .set('X-Auth-Token', OTHER_USER)
          .set('Content-Type', 'application/json')
          .send({ snapshot: { name: 'x' } });

        expect(res.status).toBe(200);
        expect(Object.keys((res.body as Body).snapshot as Body)).toEqual([
          'id',
          'created_at',
          'updated_at',
          'name',
          'description',
          'volume_id',
          'status',
          'size',
          'metadata',
        ]);
        expect((res.body as Body).snapshot).toMatchObject({ id, name: 'new', description: 'd' });
        expect(((await get(`${base}/snapshots/${id}`)).body as Body).snapshot).toMatchObject({
          name: 'new',
          description: 'd',
        });
        expect(empty.body).toEqual({
          badRequest: {
            code: 400,
            message:
              'Invalid input for field/attribute snapshot. Value: {}. {} is not valid under any of the given schemas',
          },
        });
        expect(other.status).toBe(404);
      });

      it('refuses a snapshot of a volume that is not available, and over the snapshots quota (413)', async () => {
        const creating = await create({ size: 1 });
        const v = await placed(1);
        expect(
          (await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { snapshots: 0 } }, ADMIN)).status,
        ).toBe(200);

        const notReady = await post(`${base}/snapshots`, { snapshot: { volume_id: creating.id } });
        const over = await post(`${base}/snapshots`, { snapshot: { volume_id: v.id } });
        const forced = await post(`${base}/snapshots`, { snapshot: { volume_id: creating.id, force: true } });

        expect(notReady.status).toBe(400);
        expect((notReady.body as Body).badRequest.message).toBe(
          `Invalid volume: Volume ${String(creating.id)} status must be available, but current status is: creating.`,
        );
        expect((forced.body as Body).badRequest.message).toBe(
          `Invalid volume: Volume ${String(creating.id)} status must be available, in-use, but current status is: creating.`,
        );
        expect(over.status).toBe(413);
        expect((over.body as Body).overLimit.message).toBe(
          'SnapshotLimitExceeded: Maximum number of snapshots allowed (0) exceeded',
        );
        const s = await dbState(h.ds);
        expect(s.reservations).toBe(0);
        expect(s.usage.snapshots ?? { in_use: 0, reserved: 0 }).toEqual({ in_use: 0, reserved: 0 });
      });

      it("hides other projects' snapshots and casts a delete after setting deleting", async () => {
        const v = await placed(1);
        const snapId = String(
          ((await post(`${base}/snapshots`, { snapshot: { volume_id: v.id } })).body as Body).snapshot.id,
        );

        const other = await get(`/v3/${OTHER}/snapshots/${snapId}`, OTHER_USER);
        const res = await del(`${base}/snapshots/${snapId}`);
        const again = await del(`${base}/snapshots/${snapId}`);

        expect(other.status).toBe(404);
        expect(other.body).toEqual({
          itemNotFound: { code: 404, message: `Snapshot ${snapId} could not be found.` },
        });
        expect(res.status).toBe(202);
        expect(h.backend.snapshotCasts.at(-1)).toBe(`delete host1@fake#pool ${snapId}`);
        expect(again.status).toBe(400);
        expect(again.body).toEqual({
          badRequest: {
            code: 400,
            message:
              'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.',
          },
        });
      });

      it('removes the snapshot and returns its quota (once) when the cast fails', async () => {
        const v = await placed(3);
        h.backend.fail = new Error('down');

        const res = await post(`${base}/snapshots`, { snapshot: { volume_id: v.id } });

        expect(res.status).toBe(500);
        const rows: { status: string; deleted: unknown }[] = await h.ds.query(
          'SELECT status, deleted FROM snapshots',
        );
        expect(rows.map((r) => [r.status, Number(r.deleted)])).toEqual([['deleted', 1]]);
        expect((await get(`${base}/snapshots`)).body).toEqual({ snapshots: [] });
        const s = await dbState(h.ds);
        expect(s.usage.snapshots?.in_use ?? 0).toBe(0);
        expect(s.usage.gigabytes).toEqual({ in_use: 3, reserved: 0 });
      });
    });

    it('answers every malformed request of a seeded fuzz run with a 4xx fault and leaves nothing behind', async () => {
      let seed = 42;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      const values: unknown[] = [
        null,
        true,
        -1,
        0,
        1.5,
        2147483648,
        '',
        ' ',
        'x'.repeat(300),
        '1',
        [],
        {},
        [1],
        { a: 1 },
        '💾',
        'nova',
        '__DEFAULT__',
        '445d4156-38b5-4739-8630-d79fd477a410',
      ];
      const keys = [
        'size',
        'name',
        'description',
        'volume_type',
        'availability_zone',
        'metadata',
        'snapshot_id',
        'source_volid',
        'imageRef',
        'multiattach',
        'bogus',
        'display_name',
        'backup_id',
        'consistencygroup_id',
      ];
      const paths = [
        '/volumes/%ZZ',
        '/volumes/detail?limit=-5',
        '/volumes?sort=size:up',
        '/volumes?offset=x',
        '/volumes?marker=nope',
        '/volumes?metadata=%7Bbad',
        '/types/nope',
        '/snapshots/nope',
        '/os-quota-sets/x?usage=maybe',
        '/volumes?sort_key=size&sort=name',
      ];
      const statuses: number[] = [];

      for (let i = 0; i < 150; i++) {
        const vol: Record<string, unknown> = {};
        for (let k = rnd(4); k >= 0; k--) vol[keys[rnd(keys.length)]!] = values[rnd(values.length)];
        if (vol.size === 1 || vol.size === '1') vol.size = 0; // keep every create invalid
        const body =
          rnd(5) === 0
            ? values[rnd(values.length)]
            : { volume: rnd(6) === 0 ? values[rnd(values.length)] : vol };
        const res = await post(
          `${base}/volumes`,
          body,
          rnd(3) === 0 ? ADMIN : USER,
          rnd(4) === 0 ? 'volume 3.53' : undefined,
        );
        statuses.push(res.status);
      }
      for (const p of paths) statuses.push((await get(`${base}${p}`)).status);
      for (const id of ['nope', '%00', 'x'.repeat(64)]) {
        statuses.push((await put(`${base}/volumes/${id}`, { volume: { name: 'x' } })).status);
        statuses.push((await del(`${base}/volumes/${id}`)).status);
        statuses.push(
          (await post(`${base}/volumes/${id}/action`, { 'os-extend': { new_size: 'big' } })).status,
        );
      }

      expect(statuses.filter((st) => st >= 500 || st < 400)).toEqual([]);
      const s = await dbState(h.ds);
      expect(s.volumes).toEqual([]);
      expect(s.reservations).toBe(0);
      expect(s.metadata).toBe(0);
      expect(Object.values(s.usage)).toEqual([]);
    });

    it('keeps usage exact under concurrent creates near the limit', async () => {
      expect(
        (await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { volumes: 5 } }, ADMIN)).status,
      ).toBe(200);

      const results = await Promise.all(
        Array.from({ length: 12 }, () => post(`${base}/volumes`, { volume: { size: 1 } })),
      );

      expect(results.filter((r) => r.status === 202)).toHaveLength(5);
      expect(results.filter((r) => r.status === 413)).toHaveLength(7);
      await expectConsistentQuota();
    });
  });
}
