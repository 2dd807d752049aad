import { boolean, integer, nonEmptyString, oneOf, quotaLimit, urlWithScheme, type Parser } from './parsers';

/** What a default may depend on. Settings are resolved in table order, so `values` holds the earlier ones. */
export interface DefaultContext {
  /** The machine's host name (`os.hostname()`). */
  readonly hostname: string;
  /** Whether standard output is a terminal. */
  readonly isTTY: boolean;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface SettingSpec<T> {
  /** Environment variable name; also the name used in error messages and the README. */
  readonly env: string;
  /** INI section (`DEFAULT` for the top of the file) and key. */
  readonly section: string;
  readonly key: string;
  readonly parser: Parser<T>;
  /** The default as raw text (parsed like any other value), or computed from the context. */
  readonly default: string | ((ctx: DefaultContext) => string);
  /** How the README states the default. */
  readonly defaultDoc: string;
  readonly doc: string;
}

function spec<T>(s: SettingSpec<T>): SettingSpec<T> {
  return s;
}

export const PRODUCT_NAME = 'cinder-ts';
export const DEFAULT_DATABASE_URL = `sqlite:./data/${PRODUCT_NAME}.sqlite`;
export const DEFAULT_TRANSPORT_URL = 'inproc://';
export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

/**
 * Every setting, in resolution order. The key is the property of `Config`; its type comes from the parser.
 * Adding a setting here adds it to `Config` and to validation; a unit test checks the README documents it.
 */
export const SETTINGS = {
  // [DEFAULT]: process-wide, as in oslo.config
  serviceHost: spec({
    env: 'SERVICE_HOST',
    section: 'DEFAULT',
    key: 'host',
    parser: nonEmptyString,
    default: (ctx) => ctx.hostname,
    defaultDoc: 'the machine host name',
    doc: 'Name of this node in service records and RPC topics (`volume.<host>`); `--host NAME` wins over it.',
  }),
  logLevel: spec({
    env: 'LOG_LEVEL',
    section: 'DEFAULT',
    key: 'log_level',
    parser: oneOf(LOG_LEVELS),
    default: 'info',
    defaultDoc: '`info`',
    doc: 'Lowest level written: error, warn, info, http, verbose, debug or silly.',
  }),
  logFormat: spec({
    env: 'LOG_FORMAT',
    section: 'DEFAULT',
    key: 'log_format',
    parser: oneOf(LOG_FORMATS),
    default: (ctx) => (ctx.isTTY ? 'pretty' : 'json'),
    defaultDoc: '`pretty` on a terminal, `json` otherwise',
    doc: '`json` (one object per line) or `pretty` (coloured, for people).',
  }),
  transportUrl: spec({
    env: 'TRANSPORT_URL',
    section: 'DEFAULT',
    key: 'transport_url',
    parser: urlWithScheme(['inproc', 'amqp'], 'amqp://guest:guest@127.0.0.1:5672/'),
    default: DEFAULT_TRANSPORT_URL,
    defaultDoc: `\`${DEFAULT_TRANSPORT_URL}\` (in-process)`,
    doc: 'RPC transport: in-process (all services in one process) or RabbitMQ `amqp://user:pass@host:port/`.',
  }),
  controlExchange: spec({
    env: 'CONTROL_EXCHANGE',
    section: 'DEFAULT',
    key: 'control_exchange',
    parser: nonEmptyString,
    default: 'cinder-ts',
    defaultDoc: '`cinder-ts`',
    doc: 'AMQP topic exchange that RPC topics live under (oslo control_exchange).',
  }),
  rpcResponseTimeout: spec({
    env: 'RPC_RESPONSE_TIMEOUT',
    section: 'DEFAULT',
    key: 'rpc_response_timeout',
    parser: integer(1),
    default: '60',
    defaultDoc: '`60` s',
    doc: 'Seconds an RPC call waits for its reply before failing with MessagingTimeout.',
  }),
  reportInterval: spec({
    env: 'REPORT_INTERVAL',
    section: 'DEFAULT',
    key: 'report_interval',
    parser: integer(1),
    default: '10',
    defaultDoc: '`10` s',
    doc: 'Seconds between service heartbeats; the first comes min(5, this) s after start, or at once when the record would otherwise show down.',
  }),
  serviceDownTime: spec({
    env: 'SERVICE_DOWN_TIME',
    section: 'DEFAULT',
    key: 'service_down_time',
    parser: integer(1),
    default: '60',
    defaultDoc: '`60` s',
    doc: 'A service whose last heartbeat is older than this is down (raised to 2.5 × REPORT_INTERVAL if not above it).',
  }),
  periodicIntervalMax: spec({
    env: 'PERIODIC_INTERVAL_MAX',
    section: 'DEFAULT',
    key: 'periodic_interval_max',
    parser: integer(1),
    default: '60',
    defaultDoc: '`60` s',
    doc: 'Longest sleep between two runs of the periodic task loop.',
  }),
  periodicFuzzyDelay: spec({
    env: 'PERIODIC_FUZZY_DELAY',
    section: 'DEFAULT',
    key: 'periodic_fuzzy_delay',
    parser: integer(0),
    default: '60',
    defaultDoc: '`60` s',
    doc: 'Random delay (0..N s) before the first periodic run, so services started together do not run in step.',
  }),
  defaultAvailabilityZone: spec({
    env: 'DEFAULT_AVAILABILITY_ZONE',
    section: 'DEFAULT',
    key: 'default_availability_zone',
    parser: nonEmptyString,
    default: 'nova',
    defaultDoc: '`nova`',
    doc: 'Availability zone of a volume created without one.',
  }),
  defaultVolumeType: spec({
    env: 'DEFAULT_VOLUME_TYPE',
    section: 'DEFAULT',
    key: 'default_volume_type',
    parser: nonEmptyString,
    default: '__DEFAULT__',
    defaultDoc: '`__DEFAULT__`',
    doc: 'Volume type of a volume created without one.',
  }),

  // [api]
  host: spec({
    env: 'HOST',
    section: 'api',
    key: 'listen',
    parser: nonEmptyString,
    default: '127.0.0.1',
    defaultDoc: '`127.0.0.1`',
    doc: 'Address the HTTP API listens on (`0.0.0.0` for every interface).',
  }),
  port: spec({
    env: 'PORT',
    section: 'api',
    key: 'port',
    parser: integer(0, 65535),
    default: '8776',
    defaultDoc: '`8776`',
    doc: "TCP port of the HTTP API (Cinder's); 0 picks a free one.",
  }),
  osapiMaxLimit: spec({
    env: 'OSAPI_MAX_LIMIT',
    section: 'api',
    key: 'osapi_max_limit',
    parser: integer(1),
    default: '1000',
    defaultDoc: '`1000`',
    doc: 'Most items one list request returns.',
  }),
  maxRequestBodySize: spec({
    env: 'MAX_REQUEST_BODY_SIZE',
    section: 'api',
    key: 'max_request_body_size',
    parser: integer(1),
    default: '114688',
    defaultDoc: '`114688` bytes',
    doc: 'Larger request bodies get 413.',
  }),

  // [database]
  databaseUrl: spec({
    env: 'DATABASE_URL',
    section: 'database',
    key: 'connection',
    parser: urlWithScheme(
      ['sqlite', 'mysql', 'mariadb', 'mysql+pymysql', 'mysql+mysql2', 'mysql+mysqldb'],
      'mysql://user:pass@127.0.0.1:3306/cinder',
      ['sqlite', 'mysql', 'mariadb'],
    ),
    default: DEFAULT_DATABASE_URL,
    defaultDoc: `\`${DEFAULT_DATABASE_URL}\``,
    doc: 'SQLite file (`sqlite:PATH`, `sqlite::memory:`) or MySQL/MariaDB (`mysql://user:pass@host:port/db`; `mariadb://` and `mysql+pymysql://` work too).',
  }),
  dbAutoMigrate: spec({
    env: 'DB_AUTO_MIGRATE',
    section: 'database',
    key: 'auto_migrate',
    parser: boolean,
    default: (ctx) => String(String(ctx.values['databaseUrl']).startsWith('sqlite:')),
    defaultDoc: '`true` for SQLite, `false` for MySQL',
    doc: 'Apply pending migrations when a service that uses the database starts.',
  }),

  // [scheduler]
  schedulerMaxAttempts: spec({
    env: 'SCHEDULER_MAX_ATTEMPTS',
    section: 'scheduler',
    key: 'scheduler_max_attempts',
    parser: integer(1),
    default: '3',
    defaultDoc: '`3`',
    doc: 'How many backends the scheduler tries for one request before giving up.',
  }),

  // [volume]
  volumeDir: spec({
    env: 'VOLUME_DIR',
    section: 'volume',
    key: 'volume_dir',
    parser: nonEmptyString,
    default: './data/volumes',
    defaultDoc: '`./data/volumes`',
    doc: 'Where the file-backed volume driver keeps volume files.',
  }),
  volumeCapacityGb: spec({
    env: 'VOLUME_CAPACITY_GB',
    section: 'volume',
    key: 'volume_capacity_gb',
    parser: integer(0),
    default: '0',
    defaultDoc: "`0` (the filesystem's)",
    doc: 'Capacity in GB the file-backed volume driver reports; 0 reports the filesystem of `VOLUME_DIR` (its size and free space).',
  }),
  storageAvailabilityZone: spec({
    env: 'STORAGE_AVAILABILITY_ZONE',
    section: 'volume',
    key: 'storage_availability_zone',
    parser: nonEmptyString,
    default: 'nova',
    defaultDoc: '`nova`',
    doc: 'Availability zone this volume service reports.',
  }),

  // [compute]
  updateResourcesInterval: spec({
    env: 'UPDATE_RESOURCES_INTERVAL',
    section: 'compute',
    key: 'update_resources_interval',
    parser: integer(1),
    default: '60',
    defaultDoc: '`60` s',
    doc: 'Seconds between two resource-tracker audits of a compute node.',
  }),
  fakeVcpus: spec({
    env: 'FAKE_VCPUS',
    section: 'compute',
    key: 'fake_vcpus',
    parser: integer(1),
    default: '8',
    defaultDoc: '`8`',
    doc: 'vCPUs the fake virt driver reports for its node.',
  }),
  fakeMemoryMb: spec({
    env: 'FAKE_MEMORY_MB',
    section: 'compute',
    key: 'fake_memory_mb',
    parser: integer(1),
    default: '16384',
    defaultDoc: '`16384` MB',
    doc: 'RAM the fake virt driver reports for its node.',
  }),
  fakeDiskGb: spec({
    env: 'FAKE_DISK_GB',
    section: 'compute',
    key: 'fake_disk_gb',
    parser: integer(1),
    default: '500',
    defaultDoc: '`500` GB',
    doc: 'Local disk the fake virt driver reports for its node.',
  }),
  fakeFailSpawns: spec({
    env: 'FAKE_FAIL_SPAWNS',
    section: 'compute',
    key: 'fake_fail_spawns',
    parser: boolean,
    default: 'false',
    defaultDoc: '`false`',
    doc: 'Make every spawn on the fake virt driver fail (to see reschedules and builds that end in ERROR).',
  }),

  // [quota]
  reservationExpire: spec({
    env: 'RESERVATION_EXPIRE',
    section: 'quota',
    key: 'reservation_expire',
    parser: integer(1),
    default: '86400',
    defaultDoc: '`86400` s',
    doc: 'Age after which an uncommitted quota reservation is rolled back.',
  }),
  quotaVolumes: spec({
    env: 'QUOTA_VOLUMES',
    section: 'quota',
    key: 'quota_volumes',
    parser: quotaLimit,
    default: '10',
    defaultDoc: '`10`',
    doc: 'Default per-project limit on volumes (-1: unlimited).',
  }),
  quotaSnapshots: spec({
    env: 'QUOTA_SNAPSHOTS',
    section: 'quota',
    key: 'quota_snapshots',
    parser: quotaLimit,
    default: '10',
    defaultDoc: '`10`',
    doc: 'Default per-project limit on snapshots (-1: unlimited).',
  }),
  quotaGigabytes: spec({
    env: 'QUOTA_GIGABYTES',
    section: 'quota',
    key: 'quota_gigabytes',
    parser: quotaLimit,
    default: '1000',
    defaultDoc: '`1000`',
    doc: 'Default per-project limit on volume and snapshot gigabytes (-1: unlimited).',
  }),
  quotaBackups: spec({
    env: 'QUOTA_BACKUPS',
    section: 'quota',
    key: 'quota_backups',
    parser: quotaLimit,
    default: '10',
    defaultDoc: '`10`',
    doc: 'Default per-project limit on backups (-1: unlimited).',
  }),
  quotaBackupGigabytes: spec({
    env: 'QUOTA_BACKUP_GIGABYTES',
    section: 'quota',
    key: 'quota_backup_gigabytes',
    parser: quotaLimit,
    default: '1000',
    defaultDoc: '`1000`',
    doc: 'Default per-project limit on backup gigabytes (-1: unlimited).',
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;

/** The parsed value type of one setting. */
type ValueOf<S> = S extends SettingSpec<infer T> ? T : never;

/** Every setting, typed. Frozen; read it, never write it. */
export type Settings = { readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };

/** INI sections the file may have. `conductor` has no settings yet but is accepted, as are oslo's names. */
export const KNOWN_SECTIONS: ReadonlySet<string> = new Set([
  ...Object.values(SETTINGS).map((s) => s.section),
  'conductor',
]);
