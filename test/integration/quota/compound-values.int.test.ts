/**
 * MariaDB batches send their values inside compound statements (`BEGIN NOT ATOMIC … END`), where the
 * server takes no placeholders: the driver inlines them, escaped. Values with quotes, backslashes,
 * semicolons and question marks (a project id, a volume type's name, reservation ids handed back by a
 * caller) must arrive as data, never as SQL.
 */
import { v4 as uuidv4 } from 'uuid';
import type { DataSource } from 'typeorm';
import { dbDate } from '../../../src/db/sql';
import { QuotaEngine } from '../../../src/quota';
import { createTestMysqlDatabase, type TestDatabase } from '../../helpers/db';

let db: TestDatabase;
let ds: DataSource;

beforeAll(async () => {
  db = await createTestMysqlDatabase();
  ds = db.dataSource;
});

afterAll(async () => {
  await db?.drop();
});

const HOSTILE = [
  "p'); DELETE FROM quota_usages; -- ",
  "p\\'; DROP TABLE reservations; #",
  'p"?;? END; COMMIT; BEGIN NOT ATOMIC SELECT 1;',
  'p\\',
];

describe('compound statements carry hostile values as data', () => {
  it.each(HOSTILE)(
    'project id %j: reserve, commit and rollback apply to that project only',
    async (projectId) => {
      const quotas = new QuotaEngine(ds);
      const bystander = `bystander-${uuidv4()}`;
      await quotas.commit(
        { projectId: bystander },
        await quotas.reserve({ projectId: bystander }, { volumes: 1 }),
      );
      const ctx = { projectId };
      await quotas.setLimits(projectId, { volumes: 2 });

      const [a, b] = await Promise.all([
        quotas.reserve(ctx, { volumes: 1, gigabytes: 1 }),
        quotas.reserve(ctx, { volumes: 1, gigabytes: 2 }),
      ]);
      await expect(quotas.reserve(ctx, { volumes: 1 })).rejects.toMatchObject({ name: 'OverQuotaError' });
      await Promise.all([
        quotas.commit(ctx, a),
        quotas.rollback(ctx, b),
        quotas.rollback(ctx, ["x' OR '1'='1"]),
      ]);

      const usage = await quotas.getProjectQuotas(projectId, { usages: true });
      expect(usage['volumes']).toMatchObject({ limit: 2, inUse: 1, reserved: 0 });
      expect(usage['gigabytes']).toMatchObject({ inUse: 1, reserved: 0 });
      const mine: Array<{ project_id: string }> = await ds.query(
        'SELECT DISTINCT project_id FROM quota_usages WHERE project_id = ?',
        [projectId],
      );
      expect(mine.map((r) => r.project_id)).toEqual([projectId]);
      const other = await quotas.getProjectQuotas(bystander, { usages: true });
      expect(other['volumes']).toMatchObject({ inUse: 1, reserved: 0 });
      const left: Array<{ n: number }> = await ds.query('SELECT COUNT(*) AS n FROM reservations');
      expect(Number(left[0]!.n)).toBe(0);
    },
  );

  it('a volume type whose name is hostile limits its own per-type resources', async () => {
    const quotas = new QuotaEngine(ds);
    const name = "gold'; UPDATE quotas SET hard_limit = -1; -- ?";
    const typeId = uuidv4();
    await ds.query(
      'INSERT INTO volume_types (id, name, is_public, created_at, deleted) VALUES (?, ?, 1, ?, 0)',
      [typeId, name, dbDate(ds, new Date())],
    );
    const projectId = `typed-${uuidv4()}`;
    const ctx = { projectId };
    await quotas.setLimits(projectId, { [`volumes_${name}`]: 1 });

    const ids = await quotas.reserve(ctx, { volumes: 1, gigabytes: 1 }, { volumeTypeId: typeId });
    await expect(
      quotas.reserve(ctx, { volumes: 1, gigabytes: 1 }, { volumeTypeId: typeId }),
    ).rejects.toMatchObject({ name: 'OverQuotaError' });
    expect(await quotas.commit(ctx, ids)).toBe(4);

    const usage = await quotas.getProjectQuotas(projectId, { usages: true });
    expect(usage[`volumes_${name}`]).toMatchObject({ limit: 1, inUse: 1, reserved: 0 });
    expect(usage['volumes']).toMatchObject({ limit: 10, inUse: 1 });
  });
});
