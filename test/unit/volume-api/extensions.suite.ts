/**
 * The endpoints a `cinder` CLI user reaches beyond create/list/show: type extra specs (`type-key`,
 * `extra-specs-list`), `type-update`, snapshot metadata (`snapshot-metadata`), and the volume actions
 * `os-set_bootable` and `os-update_readonly_flag`, through HTTP on the real VolumeAPI and database:
 * statuses, bodies, Cinder's messages, policy 403s, isolation 404s, bad inputs leaving nothing behind.
 * Run by extensions.test.ts (SQLite) and test/integration/volume-api/extensions.int.test.ts (MariaDB).
 */
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

const MISSING = '445d4156-38b5-4739-8630-d79fd477a410';

export function extensionsSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`types, extra specs, snapshot metadata, volume actions over HTTP (${label})`, () => {
    let h: Harness;

    beforeAll(async () => {
      h = makeHarness(await makeDb());
    });
    afterAll(async () => {
      await h?.db.drop();
    });
    beforeEach(async () => {
      await h.ds.query('DELETE FROM snapshot_metadata');
      await truncate(h.ds);
      await h.ds.query('DELETE FROM quota_classes WHERE resource NOT IN (?, ?, ?, ?, ?, ?, ?)', [
        'volumes',
        'per_volume_gigabytes',
        'snapshots',
        'gigabytes',
        'backups',
        'backup_gigabytes',
        'groups',
      ]);
      h.api.db.invalidateTypes();
      h.scheduler.placeOn = 'host1@fake#pool';
      h.scheduler.fail = null;
      h.backend.fail = null;
    });

    const base = `/v3/${PROJECT}`;
    const send = (method: 'post' | 'put', path: string, body: unknown, token: string): request.Test =>
      request(h.app)
        [method](path)
        .set('X-Auth-Token', token)
        .set('Content-Type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body));
    const post = (path: string, body: unknown, token = USER): request.Test => send('post', path, body, token);
    const put = (path: string, body: unknown, token = USER): request.Test => send('put', path, body, token);
    const get = (path: string, token = USER): request.Test =>
      request(h.app).get(path).set('X-Auth-Token', token);
    const del = (path: string, token = USER): request.Test =>
      request(h.app).delete(path).set('X-Auth-Token', token);

    async function createType(name: string, extra: Record<string, unknown> = {}): Promise<string> {
      const res = await post(`${base}/types`, { volume_type: { name, ...extra } }, ADMIN);
      expect(res.status).toBe(200);
      return (res.body as Body).volume_type.id as string;
    }
    async function createVolume(
      volume: Record<string, unknown> = { size: 1 },
      token = USER,
      project = PROJECT,
    ): Promise<string> {
      const res = await post(`/v3/${project}/volumes`, { volume }, token);
      expect(res.status).toBe(202);
      return (res.body as Body).volume.id as string;
    }
    async function specRows(): Promise<{ key: string; value: string | null; deleted: number }[]> {
      const rows: { key: string; value: string | null; deleted: unknown }[] = await h.ds.query(
        'SELECT `key`, value, deleted FROM volume_type_extra_specs ORDER BY id',
      );
      return rows.map((r) => ({ key: r.key, value: r.value, deleted: Number(r.deleted) }));
    }
    const fault = (res: request.Response, name: string, code: number, message: string): void => {
      expect(res.status).toBe(code);
      expect(res.body).toEqual({ [name]: { code, message } });
    };

    // ---- extra specs -------------------------------------------------------------------------

    describe('type extra specs', () => {
      it("sets, lists, shows, updates and unsets a spec as admin, with Cinder's statuses and bodies", async () => {
        const id = await createType('gold');

        const created = await post(
          `${base}/types/${id}/extra_specs`,
          { extra_specs: { volume_backend_name: 'gold', 'capabilities:x': null } },
          ADMIN,
        );
        expect(created.status).toBe(200);
        expect(created.body).toEqual({
          extra_specs: { volume_backend_name: 'gold', 'capabilities:x': null },
        });

        const listed = await get(`${base}/types/${id}/extra_specs`, ADMIN);
        expect(listed.status).toBe(200);
        expect(listed.body).toEqual({ extra_specs: { volume_backend_name: 'gold', 'capabilities:x': null } });
        expect((await get(`${base}/types/${id}/extra_specs/volume_backend_name`, ADMIN)).body).toEqual({
          volume_backend_name: 'gold',
        });

        const updated = await put(
          `${base}/types/${id}/extra_specs/volume_backend_name`,
          { volume_backend_name: 'silver' },
          ADMIN,
        );
        expect(updated.status).toBe(200);
        expect(updated.body).toEqual({ volume_backend_name: 'silver' });
        expect((await get(`${base}/types/${id}`, ADMIN)).body.volume_type.extra_specs).toEqual({
          volume_backend_name: 'silver',
          'capabilities:x': null,
        });

        const unset = await del(`${base}/types/${id}/extra_specs/volume_backend_name`, ADMIN);
        expect(unset.status).toBe(202);
        expect(unset.text).toBe('');
        expect(unset.headers['content-type']).toMatch(/^application\/json/);
        fault(
          await get(`${base}/types/${id}/extra_specs/volume_backend_name`, ADMIN),
          'itemNotFound',
          404,
          `Volume Type ${id} has no extra specs with key volume_backend_name.`,
        );
        fault(
          await del(`${base}/types/${id}/extra_specs/volume_backend_name`, ADMIN),
          'itemNotFound',
          404,
          `Volume Type ${id} has no extra specs with key volume_backend_name.`,
        );
        expect(await specRows()).toEqual([
          { key: 'volume_backend_name', value: 'silver', deleted: 1 },
          { key: 'capabilities:x', value: null, deleted: 0 },
        ]);
        // Setting it again after the unset makes a new live row.
        expect(
          (
            await put(
              `/v3/types/${id}/extra_specs/volume_backend_name`,
              { volume_backend_name: 'gold' },
              ADMIN,
            )
          ).status,
        ).toBe(200);
        expect((await get(`/v3/types/${id}/extra_specs`, ADMIN)).body.extra_specs).toEqual({
          'capabilities:x': null,
          volume_backend_name: 'gold',
        });
      });

      it('lets a non-admin read only the user-visible specs and write none (403 with the policy name)', async () => {
        const id = await createType('gold', {
          extra_specs: { volume_backend_name: 'gold', multiattach: '<is> True' },
        });

        expect((await get(`${base}/types/${id}/extra_specs`)).body).toEqual({
          extra_specs: { multiattach: '<is> True' },
        });
        // The type views show the same user-visible keys to a member, and no qos_specs_id.
        expect((await get(`${base}/types/${id}`)).body.volume_type.extra_specs).toEqual({
          multiattach: '<is> True',
        });
        expect(
          (await get(`${base}/types`)).body.volume_types.find((t: Body) => t.id === id).extra_specs,
        ).toEqual({
          multiattach: '<is> True',
        });
        expect((await get(`${base}/types/${id}`)).body.volume_type.qos_specs_id).toBeUndefined();
        expect((await get(`${base}/types/${id}/extra_specs/multiattach`)).body).toEqual({
          multiattach: '<is> True',
        });
        fault(
          await get(`${base}/types/${id}/extra_specs/volume_backend_name`),
          'itemNotFound',
          404,
          `Volume Type ${id} has no extra specs with key volume_backend_name.`,
        );
        fault(
          await post(`${base}/types/${id}/extra_specs`, { extra_specs: { a: 'b' } }),
          'forbidden',
          403,
          "Policy doesn't allow volume_extension:types_extra_specs:create to be performed.",
        );
        fault(
          await put(`${base}/types/${id}/extra_specs/a`, { a: 'b' }),
          'forbidden',
          403,
          "Policy doesn't allow volume_extension:types_extra_specs:update to be performed.",
        );
        fault(
          await del(`${base}/types/${id}/extra_specs/multiattach`),
          'forbidden',
          403,
          "Policy doesn't allow volume_extension:types_extra_specs:delete to be performed.",
        );
        // Cinder checks the type before the policy on a delete.
        fault(
          await del(`${base}/types/${MISSING}/extra_specs/a`),
          'itemNotFound',
          404,
          `Volume type ${MISSING} could not be found.`,
        );
        expect((await specRows()).map((r) => r.key)).toEqual(['volume_backend_name', 'multiattach']);
      });

      it('hides a private type from non-admins (404) and answers 404 for an unknown type or the `default` alias', async () => {
        const id = await createType('secret', { 'os-volume-type-access:is_public': false });

        fault(
          await get(`${base}/types/${id}/extra_specs`),
          'itemNotFound',
          404,
          `Volume type ${id} could not be found.`,
        );
        expect((await get(`${base}/types/${id}/extra_specs`, ADMIN)).status).toBe(200);
        fault(
          await get(`${base}/types/${MISSING}/extra_specs`, ADMIN),
          'itemNotFound',
          404,
          `Volume type ${MISSING} could not be found.`,
        );
        fault(
          await get(`${base}/types/default/extra_specs`, ADMIN),
          'itemNotFound',
          404,
          'Volume type default could not be found.',
        );
        fault(
          await post(`${base}/types/${MISSING}/extra_specs`, { extra_specs: { a: 'b' } }, ADMIN),
          'itemNotFound',
          404,
          `Volume type ${MISSING} could not be found.`,
        );
        fault(
          await put(`${base}/types/${MISSING}/extra_specs/a`, { a: 'b' }, ADMIN),
          'itemNotFound',
          404,
          `Volume type ${MISSING} could not be found.`,
        );
        expect(await specRows()).toEqual([]);
      });

      it('refuses to change the specs of a type a live volume uses (400), and allows it once the volume is gone', async () => {
        const id = await createType('gold');
        const vol = await createVolume({ size: 1, volume_type: 'gold' });

        fault(
          await post(`${base}/types/${id}/extra_specs`, { extra_specs: { a: 'b' } }, ADMIN),
          'badRequest',
          400,
          'Volume Type is currently in use.',
        );
        fault(
          await put(`${base}/types/${id}/extra_specs/a`, { a: 'b' }, ADMIN),
          'badRequest',
          400,
          'Volume Type is currently in use.',
        );
        fault(
          await del(`${base}/types/${id}/extra_specs/a`, ADMIN),
          'badRequest',
          400,
          'Volume Type is currently in use.',
        );
        expect(await specRows()).toEqual([]);

        await h.ds.query('UPDATE volumes SET deleted = 1 WHERE id = ?', [vol]);
        expect(
          (await post(`${base}/types/${id}/extra_specs`, { extra_specs: { a: 'b' } }, ADMIN)).status,
        ).toBe(200);
      });

      it('refuses cacheable with multiattach, in one request or across two', async () => {
        const id = await createType('gold', { extra_specs: { multiattach: '<is> True' } });

        fault(
          await post(`${base}/types/${id}/extra_specs`, { extra_specs: { cacheable: '<is> True' } }, ADMIN),
          'badRequest',
          400,
          'cacheable cannot be set with multiattach.',
        );
        const other = await createType('silver');
        fault(
          await post(
            `${base}/types/${other}/extra_specs`,
            { extra_specs: { cacheable: '<is> True', multiattach: '<is> True' } },
            ADMIN,
          ),
          'badRequest',
          400,
          'cacheable cannot be set with multiattach.',
        );
        expect((await specRows()).map((r) => r.key)).toEqual(['multiattach']);
      });

      const badBodies: {
        name: string;
        method: 'post' | 'put';
        key?: string;
        body: unknown;
        message: string;
      }[] = [
        {
          name: 'a key with a space',
          method: 'post',
          body: { extra_specs: { 'a b': 'c' } },
          message:
            "Invalid input for field/attribute extra_specs. Value: {'a b': 'c'}. 'a b' does not match any of the regexes: '^[a-zA-Z0-9-_:.]{1,255}$'",
        },
        {
          name: "a key with '/'",
          method: 'post',
          body: { extra_specs: { 'a/b': 'c' } },
          message:
            "Invalid input for field/attribute extra_specs. Value: {'a/b': 'c'}. 'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:.]{1,255}$'",
        },
        {
          name: 'an empty key',
          method: 'post',
          body: { extra_specs: { '': 'c' } },
          message:
            "Invalid input for field/attribute extra_specs. Value: {'': 'c'}. '' does not match any of the regexes: '^[a-zA-Z0-9-_:.]{1,255}$'",
        },
        {
          name: 'a 256-character key',
          method: 'post',
          body: { extra_specs: { ['k'.repeat(256)]: 'c' } },
          message: `Invalid input for field/attribute extra_specs. Value: {'${'k'.repeat(256)}': 'c'}. '${'k'.repeat(256)}' does not match any of the regexes: '^[a-zA-Z0-9-_:.]{1,255}$'`,
        },
        {
          name: 'a 256-character value',
          method: 'post',
          body: { extra_specs: { k: 'v'.repeat(256) } },
          message: `Invalid input for field/attribute k. Value: ${'v'.repeat(256)}. '${'v'.repeat(256)}' is too long`,
        },
        {
          name: 'a number value',
          method: 'post',
          body: { extra_specs: { k: 1 } },
          message: "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string', 'null'",
        },
        {
          name: 'no extra_specs key',
          method: 'post',
          body: { specs: { k: 'v' } },
          message: "'extra_specs' is a required property",
        },
        {
          name: 'extra_specs a list',
          method: 'post',
          body: { extra_specs: ['k'] },
          message:
            "Invalid input for field/attribute extra_specs. Value: ['k']. ['k'] is not of type 'object'",
        },
        {
          name: 'malformed JSON',
          method: 'post',
          body: '{"extra_specs": {',
          message: 'Malformed request body',
        },
        {
          name: 'a body key other than the URL key',
          method: 'put',
          key: 'k',
          body: { other: 'v' },
          message: 'Request body and URI mismatch',
        },
        {
          name: 'two specs in a PUT',
          method: 'put',
          key: 'k',
          body: { k: 'v', l: 'w' },
          message: "{'k': 'v', 'l': 'w'} has too many properties",
        },
        {
          name: 'an empty PUT',
          method: 'put',
          key: 'k',
          body: {},
          message: '{} does not have enough properties',
        },
      ];
      it.each(badBodies)('answers 400 for $name, storing nothing', async ({ method, key, body, message }) => {
        const id = await createType('gold');
        const path =
          key === undefined ? `${base}/types/${id}/extra_specs` : `${base}/types/${id}/extra_specs/${key}`;

        const res = await send(method, path, body, ADMIN);

        expect(res.status).toBe(400);
        expect((res.body as Body).badRequest.message).toBe(message);
        expect(await specRows()).toEqual([]);
      });
    });

    // ---- type update -------------------------------------------------------------------------

    describe('PUT /types/{id}', () => {
      it('updates name, description and is_public, answering the show view', async () => {
        const id = await createType('gold', {
          description: 'old',
          extra_specs: { volume_backend_name: 'gold' },
        });

        const res = await put(
          `${base}/types/${id}`,
          { volume_type: { name: 'platinum', description: 'new', is_public: 'false' } },
          ADMIN,
        );

        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          volume_type: {
            id,
            name: 'platinum',
            is_public: false,
            description: 'new',
            extra_specs: { volume_backend_name: 'gold' },
            qos_specs_id: null,
            'os-volume-type-access:is_public': false,
          },
        });
        // Only the description: the rest stays.
        const again = await put(`/v3/types/${id}`, { volume_type: { description: '' } }, ADMIN);
        expect(again.body.volume_type).toMatchObject({ name: 'platinum', description: '', is_public: false });
        fault(await get(`${base}/types/${id}`), 'itemNotFound', 404, `Volume type ${id} could not be found.`);
      });

      it('moves the per-type quota limits and usage with a rename', async () => {
        await createType('gold');
        const id = (await get(`${base}/types`, ADMIN)).body.volume_types.find((t: Body) => t.name === 'gold')
          .id as string;
        await createVolume({ size: 2, volume_type: 'gold' });
        expect(
          (await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { gigabytes_gold: 7 } }, ADMIN)).status,
        ).toBe(200);

        expect((await put(`${base}/types/${id}`, { volume_type: { name: 'platinum' } }, ADMIN)).status).toBe(
          200,
        );

        const q = (await get(`${base}/os-quota-sets/${PROJECT}?usage=true`, ADMIN)).body.quota_set as Body;
        expect(q.gigabytes_platinum).toMatchObject({ limit: 7, in_use: 2, reserved: 0 });
        expect(q.volumes_platinum).toMatchObject({ in_use: 1, reserved: 0 });
        expect(q.gigabytes_gold).toBeUndefined();
        expect((await dbState(h.ds)).usage).toMatchObject({
          volumes_platinum: { in_use: 1, reserved: 0 },
          gigabytes_platinum: { in_use: 2, reserved: 0 },
        });
        // The next create of the renamed type counts in the same rows.
        await createVolume({ size: 1, volume_type: 'platinum' });
        expect((await dbState(h.ds)).usage).toMatchObject({
          volumes_platinum: { in_use: 2, reserved: 0 },
          gigabytes_platinum: { in_use: 3, reserved: 0 },
        });
      });

      it('renames onto the name of a deleted type, whose leftover quota rows give way', async () => {
        const silver = await createType('silver');
        h.scheduler.placeOn = null; // unplaced: deleted at once, its quota given back
        const gone = await createVolume({ size: 1, volume_type: 'silver' });
        expect(
          (await put(`${base}/os-quota-sets/${PROJECT}`, { quota_set: { volumes_silver: 3 } }, ADMIN)).status,
        ).toBe(200);
        expect((await del(`${base}/volumes/${gone}`)).status).toBe(202);
        expect((await del(`${base}/types/${silver}`, ADMIN)).status).toBe(202);
        const gold = await createType('gold');
        await createVolume({ size: 1, volume_type: 'gold' });

        const res = await put(`${base}/types/${gold}`, { volume_type: { name: 'silver' } }, ADMIN);

        expect(res.status).toBe(200);
        const q = (await get(`${base}/os-quota-sets/${PROJECT}?usage=true`, ADMIN)).body.quota_set as Body;
        expect(q.volumes_silver).toMatchObject({ limit: -1, in_use: 1, reserved: 0 });
        expect(q.volumes_gold).toBeUndefined();
      });

      it('a type made private disappears from non-admin lists and shows', async () => {
        const id = await createType('gold');
        expect((await put(`${base}/types/${id}`, { volume_type: { is_public: false } }, ADMIN)).status).toBe(
          200,
        );

        expect((await get(`${base}/types`)).body.volume_types.map((t: Body) => t.name)).toEqual([
          '__DEFAULT__',
        ]);
        fault(await get(`${base}/types/${id}`), 'itemNotFound', 404, `Volume type ${id} could not be found.`);
        expect((await get(`${base}/types/${id}`, ADMIN)).body.volume_type.is_public).toBe(false);
      });

      it("answers Cinder's refusals: duplicate name 409, blank name, nothing to change, bad is_public, policy, unknown id", async () => {
        const id = await createType('gold');
        await createType('silver');

        fault(
          await put(`${base}/types/${id}`, { volume_type: { name: 'silver' } }, ADMIN),
          'conflictingRequest',
          409,
          'Volume Type silver already exists.',
        );
        fault(
          await put(`${base}/types/${id}`, { volume_type: { name: '   ' } }, ADMIN),
          'badRequest',
          400,
          'Volume type name can not be empty.',
        );
        fault(
          await put(`${base}/types/${id}`, { volume_type: { name: '' } }, ADMIN),
          'badRequest',
          400,
          'Volume type name can not be empty.',
        );
        fault(
          await put(`${base}/types/${id}`, { volume_type: {} }, ADMIN),
          'badRequest',
          400,
          'Specify volume type name, description, is_public or a combination thereof.',
        );
        fault(
          await put(`${base}/types/${id}`, { volume_type: { name: null, description: null } }, ADMIN),
          'badRequest',
          400,
          'Specify volume type name, description, is_public or a combination thereof.',
        );
        const badPublic = await put(`${base}/types/${id}`, { volume_type: { is_public: 'maybe' } }, ADMIN);
        expect(badPublic.status).toBe(400);
        expect(badPublic.body.badRequest.message).toMatch(
          /^Invalid input for field\/attribute is_public\. Value: maybe\. 'maybe' is not one of \[True, 'True'/,
        );
        const unknownKey = await put(`${base}/types/${id}`, { volume_type: { extra_specs: {} } }, ADMIN);
        expect(unknownKey.body.badRequest.message).toBe(
          "Invalid input for field/attribute volume_type. Value: {'extra_specs': {}}. Additional properties are not allowed ('extra_specs' was unexpected)",
        );
        fault(
          await put(`${base}/types/${id}`, { volume_type: { name: 'x' } }),
          'forbidden',
          403,
          "Policy doesn't allow volume_extension:type_update to be performed.",
        );
        // The schema is checked before the policy, the values after it.
        expect((await put(`${base}/types/${id}`, { volume_type: { bogus: 1 } })).status).toBe(400);
        expect((await put(`${base}/types/${id}`, { volume_type: {} })).status).toBe(403);
        fault(
          await put(`${base}/types/${MISSING}`, { volume_type: { name: 'x' } }, ADMIN),
          'itemNotFound',
          404,
          `Volume type ${MISSING} could not be found.`,
        );
        fault(
          await put(`${base}/types/default`, { volume_type: { name: 'x' } }, ADMIN),
          'itemNotFound',
          404,
          'Volume type default could not be found.',
        );
        const names = (await get(`${base}/types`, ADMIN)).body.volume_types.map((t: Body) => t.name).sort();
        expect(names).toEqual(['__DEFAULT__', 'gold', 'silver']);
      });

      it('keeps the default type: no rename (400), no delete (400), other fields change', async () => {
        const def = (await get(`${base}/types/default`)).body.volume_type.id as string;

        fault(
          await put(`${base}/types/${def}`, { volume_type: { name: 'renamed' } }, ADMIN),
          'badRequest',
          400,
          `The volume type ${def} is the default volume type and cannot be renamed.`,
        );
        fault(
          await del(`${base}/types/${def}`, ADMIN),
          'badRequest',
          400,
          `The volume type ${def} is a default volume type and cannot be deleted.`,
        );
        expect(
          (
            await put(
              `${base}/types/${def}`,
              { volume_type: { name: '__DEFAULT__', description: 'the default' } },
              ADMIN,
            )
          ).body.volume_type,
        ).toMatchObject({
          name: '__DEFAULT__',
          description: 'the default',
        });
        expect((await post(`${base}/volumes`, { volume: { size: 1 } })).status).toBe(202);
      });
    });

    // ---- snapshot metadata -------------------------------------------------------------------

    describe('snapshot metadata', () => {
      async function snapshot(token = USER, project = PROJECT): Promise<string> {
        const vol = await createVolume({ size: 1 }, token, project);
        const res = await post(
          `/v3/${project}/snapshots`,
          { snapshot: { volume_id: vol, metadata: { a: '1' } } },
          token,
        );
        expect(res.status).toBe(202);
        return (res.body as Body).snapshot.id as string;
      }
      async function metaRows(): Promise<number> {
        const rows: { n: unknown }[] = await h.ds.query('SELECT COUNT(*) AS n FROM snapshot_metadata');
        return Number(rows[0]!.n);
      }

      it('merges, replaces, reads, updates and deletes keys like the volume metadata endpoints', async () => {
        const id = await snapshot();
        const path = `${base}/snapshots/${id}/metadata`;

        const merged = await post(path, { metadata: { b: '2', a: 'one' } });
        expect(merged.status).toBe(200);
        expect(merged.body).toEqual({ metadata: { a: 'one', b: '2' } });
        expect((await get(path)).body).toEqual({ metadata: { a: 'one', b: '2' } });
        expect((await get(`${path}/b`)).body).toEqual({ meta: { b: '2' } });

        const item = await put(`${path}/c`, { meta: { c: '3' } });
        expect(item.status).toBe(200);
        expect(item.body).toEqual({ meta: { c: '3' } });

        const removed = await del(`${path}/a`);
        expect(removed.status).toBe(200);
        expect(removed.text).toBe('');
        fault(await get(`${path}/a`), 'itemNotFound', 404, `Snapshot ${id} has no metadata with key a.`);
        fault(await del(`${path}/a`), 'itemNotFound', 404, `Snapshot ${id} has no metadata with key a.`);
        fault(
          await get(`${path}/constructor`),
          'itemNotFound',
          404,
          `Snapshot ${id} has no metadata with key constructor.`,
        );

        const replaced = await put(path, { metadata: { z: '26' } });
        expect(replaced.body).toEqual({ metadata: { z: '26' } });
        expect((await get(`/v3/snapshots/${id}`)).body.snapshot.metadata).toEqual({ z: '26' });
        expect((await get(`/v3/snapshots/detail`)).body.snapshots[0].metadata).toEqual({ z: '26' });
        expect(await metaRows()).toBe(1);
      });

      it("answers 404 for another project's snapshot (and an unknown one), writing nothing", async () => {
        const theirs = await snapshot(OTHER_USER, OTHER);

        for (const res of [
          await get(`${base}/snapshots/${theirs}/metadata`),
          await post(`${base}/snapshots/${theirs}/metadata`, { metadata: { x: 'y' } }),
          await put(`${base}/snapshots/${theirs}/metadata`, { metadata: { x: 'y' } }),
          await put(`${base}/snapshots/${theirs}/metadata/x`, { meta: { x: 'y' } }),
          await del(`${base}/snapshots/${theirs}/metadata/a`),
        ]) {
          fault(res, 'itemNotFound', 404, `Snapshot ${theirs} could not be found.`);
        }
        fault(
          await get(`${base}/snapshots/${MISSING}/metadata/a`),
          'itemNotFound',
          404,
          `Snapshot ${MISSING} could not be found.`,
        );
        expect((await get(`/v3/${OTHER}/snapshots/${theirs}/metadata`, OTHER_USER)).body).toEqual({
          metadata: { a: '1' },
        });
        // An admin sees any project's.
        expect((await get(`${base}/snapshots/${theirs}/metadata`, ADMIN)).body).toEqual({
          metadata: { a: '1' },
        });
      });

      const bad: { name: string; method: 'post' | 'put'; key?: string; body: unknown; message: string }[] = [
        {
          name: 'a key with a bad character',
          method: 'post',
          body: { metadata: { 'a*b': 'c' } },
          message:
            "Invalid input for field/attribute metadata. Value: {'a*b': 'c'}. 'a*b' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'",
        },
        {
          name: 'a 256-character value',
          method: 'put',
          body: { metadata: { k: 'v'.repeat(256) } },
          message: `Invalid input for field/attribute k. Value: ${'v'.repeat(256)}. '${'v'.repeat(256)}' is too long`,
        },
        {
          name: 'no metadata key',
          method: 'post',
          body: { meta: { k: 'v' } },
          message: "'metadata' is a required property",
        },
        {
          name: 'a URL key other than the body key',
          method: 'put',
          key: 'k',
          body: { meta: { other: 'v' } },
          message: 'Request body and URI mismatch',
        },
        {
          name: 'two items',
          method: 'put',
          key: 'k',
          body: { meta: { k: 'v', l: 'w' } },
          message:
            "Invalid input for field/attribute meta. Value: {'k': 'v', 'l': 'w'}. {'k': 'v', 'l': 'w'} has too many properties",
        },
        { name: 'malformed JSON', method: 'post', body: '{"metadata": ', message: 'Malformed request body' },
      ];
      it.each(bad)(
        'answers 400 for $name, leaving the metadata as it was',
        async ({ method, key, body, message }) => {
          const id = await snapshot();
          const path =
            key === undefined
              ? `${base}/snapshots/${id}/metadata`
              : `${base}/snapshots/${id}/metadata/${key}`;

          const res = await send(method, path, body, USER);

          expect(res.status).toBe(400);
          expect((res.body as Body).badRequest.message).toBe(message);
          expect((await get(`${base}/snapshots/${id}/metadata`)).body).toEqual({ metadata: { a: '1' } });
        },
      );
    });

    // ---- fuzz ---------------------------------------------------------------------------------

    describe('garbage bodies on every new write endpoint', () => {
      const garbage: unknown[] = [
        null,
        [],
        'text',
        42,
        true,
        {},
        { extra_specs: null },
        { extra_specs: { k: { nested: 1 } } },
        { metadata: null },
        { metadata: { k: null } },
        { meta: [] },
        { volume_type: null },
        { volume_type: { name: 5 } },
        { volume_type: { description: 'x'.repeat(256) } },
        { 'os-set_bootable': null },
        { 'os-set_bootable': { bootable: [] } },
        { 'os-update_readonly_flag': { readonly: {} } },
        { 'os-set_bootable': { bootable: true }, 'os-update_readonly_flag': { readonly: true } },
        { ['\u0000']: 'v' },
        { k: 'v'.repeat(10_000) },
        '{"unterminated": ',
        '\u00ff\u00fe',
      ];

      it('answers 4xx (never 5xx) and changes nothing', async () => {
        const typeId = await createType('gold', { extra_specs: { a: 'b' } });
        const vol = await createVolume();
        const snap = (await post(`${base}/snapshots`, { snapshot: { volume_id: vol } })).body.snapshot
          .id as string;
        const before = JSON.stringify([
          await specRows(),
          await h.ds.query('SELECT * FROM snapshot_metadata'),
          await h.ds.query('SELECT bootable, readonly, status FROM volumes'),
          await h.ds.query('SELECT name, description, is_public FROM volume_types ORDER BY name'),
        ]);
        const targets: ['post' | 'put', string][] = [
          ['post', `${base}/types/${typeId}/extra_specs`],
          ['put', `${base}/types/${typeId}/extra_specs/a`],
          ['put', `${base}/types/${typeId}`],
          ['post', `${base}/snapshots/${snap}/metadata`],
          ['put', `${base}/snapshots/${snap}/metadata`],
          ['put', `${base}/snapshots/${snap}/metadata/a`],
          ['post', `${base}/volumes/${vol}/action`],
        ];
        for (const [method, path] of targets) {
          for (const body of garbage) {
            const res = await send(
              method,
              path,
              typeof body === 'string' && !body.startsWith('{') ? JSON.stringify(body) : body,
              ADMIN,
            );
            if (res.status < 400 || res.status >= 500)
              throw new Error(`${method} ${path} ${JSON.stringify(body)} answered ${res.status} ${res.text}`);
            expect(Object.keys(res.body as Body)).toHaveLength(1);
          }
        }
        const after = JSON.stringify([
          await specRows(),
          await h.ds.query('SELECT * FROM snapshot_metadata'),
          await h.ds.query('SELECT bootable, readonly, status FROM volumes'),
          await h.ds.query('SELECT name, description, is_public FROM volume_types ORDER BY name'),
        ]);
        expect(after).toBe(before);
      });
    });

    // ---- volume actions ----------------------------------------------------------------------

    describe('os-set_bootable and os-update_readonly_flag', () => {
      const action = (id: string, body: unknown, token = USER): request.Test =>
        post(`${base}/volumes/${id}/action`, body, token);

      it('os-set_bootable answers 200 with no body and shows in the volume', async () => {
        const id = await createVolume();

        const on = await action(id, { 'os-set_bootable': { bootable: true } });
        expect(on.status).toBe(200);
        expect(on.text).toBe('');
        expect(on.headers['content-type']).toMatch(/^application\/json/);
        expect((await get(`${base}/volumes/${id}`)).body.volume.bootable).toBe('true');
        expect((await action(id, { 'os-set_bootable': { bootable: 'False' } })).status).toBe(200);
        expect((await get(`/v3/volumes/${id}`)).body.volume.bootable).toBe('false');
      });

      it('os-update_readonly_flag answers 202 and shows readonly among the volume metadata (not in /metadata)', async () => {
        const id = await createVolume({ size: 1, metadata: { readonly: 'mine', k: 'v' } });

        const ro = await action(id, { 'os-update_readonly_flag': { readonly: true } });
        expect(ro.status).toBe(202);
        expect(ro.text).toBe('');
        expect((await get(`${base}/volumes/${id}`)).body.volume.metadata).toEqual({
          readonly: 'True',
          k: 'v',
        });
        expect((await get(`${base}/volumes/detail`)).body.volumes[0].metadata).toEqual({
          readonly: 'True',
          k: 'v',
        });
        expect((await get(`${base}/volumes/${id}/metadata`)).body).toEqual({
          metadata: { readonly: 'mine', k: 'v' },
        });
        expect((await action(id, { 'os-update_readonly_flag': { readonly: 'no' } })).status).toBe(202);
        expect((await get(`${base}/volumes/${id}`)).body.volume.metadata).toEqual({
          readonly: 'False',
          k: 'v',
        });
        // A volume never flagged shows no readonly key.
        const plain = await createVolume();
        expect((await get(`${base}/volumes/${plain}`)).body.volume.metadata).toEqual({});
      });

      it("refuses by the volume's status with Cinder's messages", async () => {
        const id = await createVolume();
        await h.ds.query("UPDATE volumes SET status = 'maintenance' WHERE id = ?", [id]);

        fault(
          await action(id, { 'os-set_bootable': { bootable: true } }),
          'badRequest',
          400,
          'Invalid volume: The volume cannot be updated during maintenance.',
        );
        fault(
          await action(id, { 'os-update_readonly_flag': { readonly: true } }),
          'badRequest',
          400,
          `Invalid volume: Volume ${id} status must be available to update readonly flag, but current status is: maintenance.`,
        );
        const rows: { bootable: unknown; readonly: unknown }[] = await h.ds.query(
          'SELECT bootable, readonly FROM volumes WHERE id = ?',
          [id],
        );
        expect(Number(rows[0]!.bootable)).toBe(0);
        expect(rows[0]!.readonly).toBeNull();
      });

      it("answers 404 for another project's volume and an unknown one", async () => {
        const theirs = await createVolume({ size: 1 }, OTHER_USER, OTHER);

        fault(
          await action(theirs, { 'os-set_bootable': { bootable: true } }),
          'itemNotFound',
          404,
          `Volume ${theirs} could not be found.`,
        );
        fault(
          await action(theirs, { 'os-update_readonly_flag': { readonly: true } }),
          'itemNotFound',
          404,
          `Volume ${theirs} could not be found.`,
        );
        fault(
          await action(MISSING, { 'os-set_bootable': { bootable: true } }),
          'itemNotFound',
          404,
          `Volume ${MISSING} could not be found.`,
        );
        expect((await action(theirs, { 'os-set_bootable': { bootable: true } }, ADMIN)).status).toBe(200);
      });

      const bad: { name: string; body: unknown; message: RegExp | string }[] = [
        {
          name: 'bootable missing',
          body: { 'os-set_bootable': {} },
          message:
            "Invalid input for field/attribute os-set_bootable. Value: {}. 'bootable' is a required property",
        },
        {
          name: "bootable 'maybe'",
          body: { 'os-set_bootable': { bootable: 'maybe' } },
          message:
            /^Invalid input for field\/attribute bootable\. Value: maybe\. 'maybe' is not one of \[True, 'True', 'TRUE'/,
        },
        {
          name: 'bootable null',
          body: { 'os-set_bootable': { bootable: null } },
          message:
            "Invalid input for field/attribute bootable. Value: None. None is not of type 'boolean', 'string'",
        },
        {
          name: 'an extra key',
          body: { 'os-set_bootable': { bootable: true, x: 1 } },
          message:
            "Invalid input for field/attribute os-set_bootable. Value: {'bootable': True, 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
        },
        {
          name: 'os-set_bootable a string',
          body: { 'os-set_bootable': 'true' },
          message:
            "Invalid input for field/attribute os-set_bootable. Value: true. 'true' is not of type 'object'",
        },
        {
          name: 'readonly missing',
          body: { 'os-update_readonly_flag': {} },
          message:
            "Invalid input for field/attribute os-update_readonly_flag. Value: {}. 'readonly' is a required property",
        },
        {
          name: 'readonly 2',
          body: { 'os-update_readonly_flag': { readonly: 2 } },
          message:
            /^Invalid input for field\/attribute readonly\. Value: 2\. 2 is not of type 'boolean', 'string'/,
        },
      ];
      it.each(bad)('answers 400 for $name, changing nothing', async ({ body, message }) => {
        const id = await createVolume();

        const res = await action(id, body);

        expect(res.status).toBe(400);
        if (typeof message === 'string') expect((res.body as Body).badRequest.message).toBe(message);
        else expect((res.body as Body).badRequest.message).toMatch(message);
        const rows: { bootable: unknown; readonly: unknown }[] = await h.ds.query(
          'SELECT bootable, readonly FROM volumes WHERE id = ?',
          [id],
        );
        expect(Number(rows[0]!.bootable)).toBe(0);
        expect(rows[0]!.readonly).toBeNull();
      });
    });
  });
}
