/**
 * Quota resource names are exact (issue 4): a per-type resource of a type named `Gold` is not the one of
 * a deleted type `gold`. On MariaDB this needs the binary collation of the quota tables' `resource`
 * columns (migration QuotaResourceBinaryCollation); SQLite compares exactly already. Shared by the
 * SQLite and MariaDB runs.
 */
import request from 'supertest';
import type { TestDatabase } from '../../helpers/db';
import { ADMIN, PROJECT, USER, dbState, makeHarness, truncate, type Harness } from './harness';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function quotaResourceNamesSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  describe(`quota resource names match exactly (${label})`, () => {
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
    });

    const base = `/v3/${PROJECT}`;
    const call = (
      method: 'get' | 'post' | 'put' | 'delete',
      path: string,
      token: string,
      body?: unknown,
    ): request.Test => {
      const r = request(h.app)[method](`${base}${path}`).set('X-Auth-Token', token);
      return body === undefined ? r : r.set('Content-Type', 'application/json').send(JSON.stringify(body));
    };

    it('a type `Gold` gets neither the limit nor the usage of a deleted type `gold`', async () => {
      const gold = await call('post', '/types', ADMIN, { volume_type: { name: 'gold' } });
      expect(gold.status).toBe(200);
      expect(
        (await call('put', `/os-quota-sets/${PROJECT}`, ADMIN, { quota_set: { gigabytes_gold: 1 } })).status,
      ).toBe(200);
      const v = await call('post', '/volumes', USER, { volume: { size: 1, volume_type: 'gold' } });
      expect(v.status).toBe(202);
      expect((await call('delete', `/volumes/${(v.body as Body).volume.id as string}`, USER)).status).toBe(
        202,
      );
      expect(
        (await call('delete', `/types/${(gold.body as Body).volume_type.id as string}`, ADMIN)).status,
      ).toBe(202);

      expect((await call('post', '/types', ADMIN, { volume_type: { name: 'Gold' } })).status).toBe(200);
      const shown = (await call('get', `/os-quota-sets/${PROJECT}?usage=true`, ADMIN)).body.quota_set as Body;
      expect(shown.gigabytes_Gold).toMatchObject({ limit: -1, in_use: 0, reserved: 0 });

      // 2 GB would be over the old type's limit of 1 if the names matched case-insensitively.
      const created = await call('post', '/volumes', USER, { volume: { size: 2, volume_type: 'Gold' } });
      expect(created.status).toBe(202);
      expect(
        (await call('put', `/os-quota-sets/${PROJECT}`, ADMIN, { quota_set: { gigabytes_Gold: 5 } })).status,
      ).toBe(200);

      const usage = (await dbState(h.ds)).usage;
      expect(usage).toMatchObject({
        volumes_Gold: { in_use: 1, reserved: 0 },
        gigabytes_Gold: { in_use: 2, reserved: 0 },
      });
      expect(usage.volumes_gold).toBeUndefined();
      const limits: { resource: string; hard_limit: unknown }[] = await h.ds.query(
        'SELECT resource, hard_limit FROM quotas WHERE project_id = ? ORDER BY hard_limit',
        [PROJECT],
      );
      expect(limits.map((l) => [l.resource, Number(l.hard_limit)])).toEqual([
        ['gigabytes_gold', 1],
        ['gigabytes_Gold', 5],
      ]);
      const exact: unknown[] = await h.ds.query(
        'SELECT id FROM quota_usages WHERE project_id = ? AND resource = ?',
        [PROJECT, 'volumes_GOLD'],
      );
      expect(exact).toEqual([]);
    });
  });
}
