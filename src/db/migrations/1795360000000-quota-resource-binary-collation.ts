import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The quota tables' `resource` columns (all `VARCHAR(255) NOT NULL`). */
const RESOURCE_COLUMNS = ['quotas', 'quota_classes', 'quota_usages', 'reservations'] as const;

/**
 * Quota resource names compare exactly on MySQL/MariaDB (the `_bin` collation of the column's character set), as they already do on SQLite.
 *
 * Why: per-type resources carry the type's name (`volumes_<type>`), and the default utf8mb4 collation
 * matches them case-insensitively, so `volumes_Gold` found the rows of a deleted type `gold` (its limit
 * and usage) and a second row for it hit the (project_id, resource) unique index. Type names themselves
 * keep the default collation, as Cinder's, so two live types still cannot differ only in case; only the
 * quota bookkeeping becomes exact. A no-op on SQLite, whose default collation is already BINARY.
 */
export class QuotaResourceBinaryCollation1795360000000 implements MigrationInterface {
  name = 'QuotaResourceBinaryCollation1795360000000';

  async up(q: QueryRunner): Promise<void> {
    if (!isMysql(q)) return;
    for (const table of RESOURCE_COLUMNS) {
      // The column keeps its character set (utf8mb4 here, maybe utf8mb3 in a database made for Cinder);
      // only the collation becomes that set's binary one.
      const rows: { cs: string }[] = await q.query(
        'SELECT CHARACTER_SET_NAME AS cs FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?',
        [table, 'resource'],
      );
      const cs = rows[0]?.cs ?? 'utf8mb4';
      if (!/^[a-z0-9_]+$/.test(cs)) throw new Error(`unexpected character set ${cs} on ${table}.resource`);
      await q.query(
        `ALTER TABLE \`${table}\` MODIFY \`resource\` VARCHAR(255) CHARACTER SET ${cs} COLLATE ${cs}_bin NOT NULL`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    if (!isMysql(q)) return;
    // Back to the table's default collation (what the initial schema created).
    for (const table of RESOURCE_COLUMNS) {
      await q.query(`ALTER TABLE \`${table}\` MODIFY \`resource\` VARCHAR(255) NOT NULL`);
    }
  }
}

function isMysql(q: QueryRunner): boolean {
  const type = q.connection.options.type;
  return type === 'mysql' || type === 'mariadb';
}
