import { v4 as uuidv4 } from 'uuid';
import { dbDate } from '../sql';
import {
  Table,
  TableForeignKey,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/** The default quota class, as Cinder 21 shows it in `GET os-quota-class-sets/default`. */
export const DEFAULT_QUOTA_CLASS: Readonly<Record<string, number>> = Object.freeze({
  volumes: 10,
  per_volume_gigabytes: -1,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
});

export const DEFAULT_VOLUME_TYPE_NAME = '__DEFAULT__';

/**
 * The whole schema: Cinder's volume and quota tables, Nova's services/compute_nodes/instances and
 * TaskFlow's logbooks/flowdetails/atomdetails. Written with TypeORM's schema builder so the same
 * migration produces equivalent DDL on MySQL/MariaDB and SQLite; the only branch is the JSON text type
 * (LONGTEXT on MySQL, whose TEXT stops at 64 KiB).
 */
export class InitialSchema1795322840388 implements MigrationInterface {
  name = 'InitialSchema1795322840388';

  async up(q: QueryRunner): Promise<void> {
    const type = q.connection.options.type;
    const isMysql = type === 'mysql' || type === 'mariadb';
    const jsonText = isMysql ? 'longtext' : 'text';

    const id = (): TableColumnOptions => ({
      name: 'id',
      type: 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment',
    });
    const uuidPk = (name = 'id'): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: '36',
      isPrimary: true,
    });
    const str = (name: string, nullable = true, length = '255'): TableColumnOptions => ({
      name,
      type: 'varchar',
      length,
      isNullable: nullable,
    });
    const int = (name: string, dflt?: number): TableColumnOptions =>
      dflt === undefined ? { name, type: 'integer' } : { name, type: 'integer', default: dflt };
    const bool = (name: string, dflt: boolean): TableColumnOptions => ({
      name,
      type: 'boolean',
      default: dflt ? 1 : 0,
    });
    const ts = (name: string, nullable: boolean): TableColumnOptions => ({
      name,
      type: 'datetime',
      precision: 6,
      isNullable: nullable,
    });
    // Engine ids are uuids, but the engine API takes any string id: room for prefixed ones.
    const flowId = (name: string, primary: boolean): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: '128',
      isPrimary: primary,
    });
    const json = (name: string): TableColumnOptions => ({ name, type: jsonText, isNullable: true });
    const stamps = (softDelete: 'bool' | 'int' | 'none'): TableColumnOptions[] => {
      const cols = [ts('created_at', false), ts('updated_at', true)];
      if (softDelete === 'none') return cols;
      return [
        ...cols,
        ts('deleted_at', true),
        softDelete === 'bool' ? bool('deleted', false) : int('deleted', 0),
      ];
    };
    const index = (table: string, columns: string[], unique = false): TableIndex =>
      new TableIndex({
        name: `${unique ? 'uniq' : 'ix'}_${table}_${columns.join('_')}`,
        columnNames: columns,
        isUnique: unique,
      });

    await q.createTable(
      new Table({
        name: 'volume_types',
        columns: [
          uuidPk(),
          str('name', false),
          str('description'),
          bool('is_public', true),
          str('qos_specs_id', true, '36'),
          ...stamps('bool'),
        ],
        indices: [index('volume_types', ['name'])],
      }),
    );
    await q.createTable(
      new Table({
        name: 'volume_type_extra_specs',
        columns: [
          id(),
          str('volume_type_id', false, '36'),
          str('key', false),
          str('value'),
          ...stamps('bool'),
        ],
        indices: [index('volume_type_extra_specs', ['volume_type_id', 'key'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_volume_type_extra_specs_volume_type_id',
            columnNames: ['volume_type_id'],
            referencedTableName: 'volume_types',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'volumes',
        columns: [
          uuidPk(),
          str('project_id', false),
          str('user_id', false),
          int('size'),
          str('status', false),
          { ...str('attach_status', false), default: "'detached'" },
          str('display_name'),
          str('display_description'),
          str('availability_zone'),
          str('volume_type_id', true, '36'),
          str('snapshot_id', true, '36'),
          str('source_volid', true, '36'),
          str('host'),
          bool('bootable', false),
          str('encryption_key_id', true, '36'),
          bool('multiattach', false),
          str('migration_status'),
          ...stamps('bool'),
        ],
        indices: [
          index('volumes', ['project_id', 'status']),
          index('volumes', ['project_id', 'created_at']),
          index('volumes', ['project_id', 'volume_type_id']),
          index('volumes', ['host', 'status']),
          index('volumes', ['snapshot_id']),
          index('volumes', ['source_volid']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'volume_metadata',
        columns: [id(), str('volume_id', false, '36'), str('key', false), str('value'), ...stamps('bool')],
        indices: [index('volume_metadata', ['volume_id', 'key'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_volume_metadata_volume_id',
            columnNames: ['volume_id'],
            referencedTableName: 'volumes',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'snapshots',
        columns: [
          uuidPk(),
          str('volume_id', false, '36'),
          str('project_id', false),
          str('user_id', false),
          str('status', false),
          str('progress'),
          int('volume_size'),
          str('volume_type_id', true, '36'),
          str('display_name'),
          str('display_description'),
          ...stamps('bool'),
        ],
        indices: [
          index('snapshots', ['project_id', 'status']),
          index('snapshots', ['project_id', 'created_at']),
          index('snapshots', ['volume_id']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'quotas',
        columns: [
          id(),
          str('project_id', false),
          str('resource', false),
          int('hard_limit'),
          ...stamps('none'),
        ],
        indices: [index('quotas', ['project_id', 'resource'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'quota_classes',
        columns: [
          id(),
          str('class_name', false),
          str('resource', false),
          int('hard_limit'),
          ...stamps('none'),
        ],
        indices: [index('quota_classes', ['class_name', 'resource'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'quota_usages',
        columns: [
          id(),
          str('project_id', false),
          str('resource', false),
          int('in_use', 0),
          int('reserved', 0),
          ...stamps('none'),
        ],
        // The quota engine locks a project's rows through this index, in its order, everywhere.
        indices: [index('quota_usages', ['project_id', 'resource'], true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'reservations',
        columns: [
          id(),
          str('uuid', false, '36'),
          int('usage_id'),
          str('project_id', false),
          str('resource', false),
          int('delta'),
          ts('expire', false),
          ts('created_at', false),
          bool('deleted', false),
        ],
        indices: [
          index('reservations', ['uuid'], true),
          index('reservations', ['project_id', 'uuid']),
          index('reservations', ['expire']),
          index('reservations', ['usage_id']),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_reservations_usage_id',
            columnNames: ['usage_id'],
            referencedTableName: 'quota_usages',
            referencedColumnNames: ['id'],
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'services',
        columns: [
          id(),
          str('host', false),
          str('binary', false),
          str('topic', false),
          int('report_count', 0),
          bool('disabled', false),
          str('disabled_reason'),
          { ...str('availability_zone', false), default: "'nova'" },
          bool('forced_down', false),
          ...stamps('int'),
        ],
        indices: [
          index('services', ['host', 'binary', 'deleted'], true),
          index('services', ['topic', 'deleted']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'compute_nodes',
        columns: [
          id(),
          str('uuid', false, '36'),
          str('host', false),
          str('hypervisor_hostname', false),
          int('vcpus'),
          int('memory_mb'),
          int('local_gb'),
          int('vcpus_used', 0),
          int('memory_mb_used', 0),
          int('local_gb_used', 0),
          int('free_ram_mb', 0),
          int('free_disk_gb', 0),
          int('running_vms', 0),
          ...stamps('int'),
        ],
        indices: [
          index('compute_nodes', ['host', 'hypervisor_hostname', 'deleted'], true),
          index('compute_nodes', ['uuid'], true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'instances',
        columns: [
          uuidPk('uuid'),
          str('project_id', false),
          str('user_id', false),
          str('host'),
          str('node'),
          str('vm_state'),
          str('task_state'),
          int('power_state', 0),
          int('vcpus'),
          int('memory_mb'),
          int('root_gb'),
          str('display_name'),
          str('availability_zone'),
          ...stamps('bool'),
        ],
        indices: [
          index('instances', ['project_id', 'vm_state']),
          index('instances', ['project_id', 'created_at']),
          index('instances', ['host', 'node']),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'logbooks',
        columns: [flowId('uuid', true), str('name'), json('meta'), ...stamps('none')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'flowdetails',
        columns: [
          flowId('uuid', true),
          flowId('parent_uuid', false),
          int('position', 0),
          str('name'),
          json('meta'),
          str('state'),
          ...stamps('none'),
        ],
        indices: [index('flowdetails', ['parent_uuid', 'position']), index('flowdetails', ['state'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_flowdetails_parent_uuid',
            columnNames: ['parent_uuid'],
            referencedTableName: 'logbooks',
            referencedColumnNames: ['uuid'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'atomdetails',
        columns: [
          flowId('uuid', true),
          flowId('parent_uuid', false),
          int('position', 0),
          str('name'),
          str('atom_type'),
          str('state'),
          str('intention'),
          str('version'),
          json('meta'),
          json('results'),
          json('failure'),
          json('revert_results'),
          json('revert_failure'),
          ...stamps('none'),
        ],
        indices: [index('atomdetails', ['parent_uuid', 'position'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_atomdetails_parent_uuid',
            columnNames: ['parent_uuid'],
            referencedTableName: 'flowdetails',
            referencedColumnNames: ['uuid'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );

    // Seed data Cinder's own migrations create: the default volume type and the default quota class.
    const now = dbDate(q.connection, new Date());
    await q.query(
      'INSERT INTO volume_types (id, name, description, is_public, created_at, deleted) VALUES (?, ?, ?, ?, ?, ?)',
      [uuidv4(), DEFAULT_VOLUME_TYPE_NAME, 'Default Volume Type', 1, now, 0],
    );
    for (const [resource, limit] of Object.entries(DEFAULT_QUOTA_CLASS)) {
      await q.query(
        'INSERT INTO quota_classes (class_name, resource, hard_limit, created_at) VALUES (?, ?, ?, ?)',
        ['default', resource, limit, now],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    // Children before parents so foreign keys never block the drop.
    for (const table of [
      'atomdetails',
      'flowdetails',
      'logbooks',
      'instances',
      'compute_nodes',
      'services',
      'reservations',
      'quota_usages',
      'quota_classes',
      'quotas',
      'snapshots',
      'volume_metadata',
      'volumes',
      'volume_type_extra_specs',
      'volume_types',
    ]) {
      await q.dropTable(table, true, true, true);
    }
  }
}
