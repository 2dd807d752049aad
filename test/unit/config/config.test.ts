import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ConfigFileError,
  InvalidSettingError,
  SETTINGS,
  UsageError,
  configFileArgument,
  defaultSearchPath,
  loadConfig,
  type LoadConfigOptions,
} from '../../../src/config';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-config-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Loads with nothing from the real machine: no env, no /etc, a fixed host name. */
function load(options: LoadConfigOptions = {}) {
  return loadConfig({
    argv: [],
    env: {},
    cwd: dir,
    searchPath: [path.join(dir, 'cinder-ts.conf')],
    hostname: 'node-1',
    isTTY: false,
    ...options,
  });
}

function writeConf(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('loadConfig defaults', () => {
  it('gives every documented default when nothing is set', () => {
    const { config, warnings } = load();

    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8776,
      databaseUrl: 'sqlite:./data/cinder-ts.sqlite',
      dbAutoMigrate: true,
      transportUrl: 'inproc://',
      logLevel: 'info',
      logFormat: 'json',
      serviceHost: 'node-1',
      reportInterval: 10,
      serviceDownTime: 60,
      rpcResponseTimeout: 60,
      osapiMaxLimit: 1000,
      maxRequestBodySize: 114688,
      reservationExpire: 86400,
      quotaVolumes: 10,
      quotaSnapshots: 10,
      quotaGigabytes: 1000,
      defaultAvailabilityZone: 'nova',
      defaultVolumeType: '__DEFAULT__',
      volumeDir: './data/volumes',
      configFile: null,
    });
    expect(warnings).toEqual([]);
  });

  it('defaults LOG_FORMAT to pretty on a terminal', () => {
    expect(load({ isTTY: true }).config.logFormat).toBe('pretty');
  });

  it('accepts the MySQL URL forms OpenStack configs use', () => {
    const url = 'mysql+pymysql://cinder:secret@db:3306/cinder?charset=utf8';

    expect(load({ env: { DATABASE_URL: url } }).config.databaseUrl).toBe(url);
  });

  it('does not auto-migrate a MySQL database unless asked', () => {
    const { config } = load({ env: { DATABASE_URL: 'mysql://root@127.0.0.1:3306/cinder' } });

    expect(config.dbAutoMigrate).toBe(false);
  });

  it('returns a frozen object', () => {
    const { config } = load();

    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('loadConfig sources', () => {
  it('reads settings from the environment', () => {
    const { config } = load({
      env: {
        HOST: '0.0.0.0',
        PORT: '9000',
        TRANSPORT_URL: 'amqp://guest:guest@127.0.0.1:5672/',
        LOG_LEVEL: 'DEBUG',
        DB_AUTO_MIGRATE: 'no',
        QUOTA_VOLUMES: '-1',
      },
    });

    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      transportUrl: 'amqp://guest:guest@127.0.0.1:5672/',
      logLevel: 'debug',
      dbAutoMigrate: false,
      quotaVolumes: -1,
    });
  });

  it('reads sections of the ini file found in the working directory', () => {
    const file = writeConf(
      'cinder-ts.conf',
      [
        '# comment',
        '[DEFAULT]',
        'host = cinder-node-7',
        'transport_url = amqp://u:p@mq:5672/',
        'report_interval = 5',
        '',
        '[api]',
        'port = 18776 ; inline comment',
        '[database]',
        'connection = mysql://u:p@db:3306/cinder',
        '[quota]',
        'quota_gigabytes = 40',
      ].join('\n'),
    );

    const { config } = load();

    expect(config).toMatchObject({
      configFile: file,
      serviceHost: 'cinder-node-7',
      transportUrl: 'amqp://u:p@mq:5672/',
      reportInterval: 5,
      port: 18776,
      databaseUrl: 'mysql://u:p@db:3306/cinder',
      dbAutoMigrate: false,
      quotaGigabytes: 40,
    });
  });

  it('lets the environment win over the file', () => {
    writeConf('cinder-ts.conf', '[api]\nport = 18776\n');

    const { config } = load({ env: { PORT: '28776' } });

    expect(config.port).toBe(28776);
  });

  it('treats an empty environment variable as unset', () => {
    writeConf('cinder-ts.conf', '[api]\nport = 18776\n');

    expect(load({ env: { PORT: '' } }).config.port).toBe(18776);
  });

  it('reads keys before any section header as [DEFAULT]', () => {
    writeConf('cinder-ts.conf', 'log_level = warn\n');

    expect(load().config.logLevel).toBe('warn');
  });

  it('warns about unknown sections and options instead of stopping', () => {
    writeConf('cinder-ts.conf', '[api]\nprot = 1\n[nonsense]\nx = 1\n[conductor]\n');

    const { warnings } = load();

    expect(warnings).toEqual([
      expect.stringContaining('unknown option [api] prot'),
      expect.stringContaining('unknown section [nonsense]'),
    ]);
  });
});

describe('config file discovery', () => {
  it('uses --config-file over the file in the working directory', () => {
    writeConf('cinder-ts.conf', '[api]\nport = 1111\n');
    const named = writeConf('other.conf', '[api]\nport = 2222\n');

    const { config } = load({ argv: ['api', '--config-file', named] });

    expect(config.port).toBe(2222);
    expect(config.configFile).toBe(named);
  });

  it('accepts --config-file=PATH relative to the working directory', () => {
    writeConf('other.conf', '[api]\nport = 3333\n');

    expect(load({ argv: ['--config-file=other.conf'] }).config.port).toBe(3333);
  });

  it('falls back to the next file of the search path', () => {
    const etc = path.join(dir, 'etc.conf');
    fs.writeFileSync(etc, '[api]\nport = 4444\n');

    const { config } = load({ searchPath: [path.join(dir, 'cinder-ts.conf'), etc] });

    expect(config.port).toBe(4444);
  });

  it('is fine when no file exists', () => {
    expect(
      load({ searchPath: [path.join(dir, 'a.conf'), path.join(dir, 'b.conf')] }).config.configFile,
    ).toBeNull();
  });

  it('searches ./cinder-ts.conf then /etc/cinder-ts/cinder-ts.conf by default', () => {
    expect(defaultSearchPath('/srv')).toEqual(['/srv/cinder-ts.conf', '/etc/cinder-ts/cinder-ts.conf']);
  });

  it('stops when the file named by --config-file does not exist', () => {
    const missing = path.join(dir, 'missing.conf');

    expect(() => load({ argv: ['--config-file', missing] })).toThrow(
      new ConfigFileError(missing, 'no such file'),
    );
  });

  it('stops when the config file cannot be read', () => {
    fs.mkdirSync(path.join(dir, 'cinder-ts.conf'));

    expect(() => load()).toThrow(/^Cannot use config file .*cinder-ts\.conf: it is a directory, not a file$/);
  });

  it('stops on a malformed line and names the line', () => {
    writeConf('cinder-ts.conf', '[api]\nport = 1\nthis is not ini\n');

    let caught: unknown;
    try {
      load();
    } catch (err) {
      caught = err;
    }

    expect(caught).toBeInstanceOf(ConfigFileError);
    expect((caught as Error).message).toMatch(
      /line 3 is not "\[section\]" or "key = value": "this is not ini"/,
    );
    expect((caught as Error).message).not.toContain('\n');
  });

  it('stops on an unterminated section header', () => {
    writeConf('cinder-ts.conf', '[api\nport = 1\n');

    expect(() => load()).toThrow(ConfigFileError);
  });

  it('rejects --config-file without a path', () => {
    expect(() => configFileArgument(['--config-file'])).toThrow(UsageError);
    expect(() => configFileArgument(['--config-file', '--host', 'x'])).toThrow('--config-file needs a PATH');
    expect(() => configFileArgument(['--config-file='])).toThrow(UsageError);
  });
});

describe('validation', () => {
  it.each([
    ['PORT', 'http', 'an integer from 0 to 65535'],
    ['PORT', '70000', 'an integer from 0 to 65535'],
    ['PORT', '80.5', 'an integer from 0 to 65535'],
    ['REPORT_INTERVAL', '0', 'an integer >= 1'],
    ['QUOTA_VOLUMES', '-2', 'an integer >= 0, or -1 for unlimited'],
    ['LOG_LEVEL', 'loud', 'one of error, warn, info, http, verbose, debug, silly'],
    ['LOG_FORMAT', 'xml', 'one of json, pretty'],
    ['DB_AUTO_MIGRATE', 'maybe', 'true or false'],
    ['DATABASE_URL', 'postgres://db/x', 'a URL starting with sqlite: or mysql: or mariadb:'],
    ['TRANSPORT_URL', 'kafka://x', 'a URL starting with inproc: or amqp:'],
    ['TRANSPORT_URL', 'amqp://[bad', 'a URL starting with inproc: or amqp:'],
    ['HOST', '   ', 'a non-empty string'],
  ])('rejects %s=%j with one line naming it and what was expected', (name, value, expected) => {
    let caught: unknown;
    try {
      load({ env: { [name]: value } });
    } catch (err) {
      caught = err;
    }

    expect(caught).toBeInstanceOf(InvalidSettingError);
    expect(caught).toMatchObject({ setting: name, source: 'environment', received: value });
    const message = (caught as Error).message;
    expect(message).toContain(`Invalid setting ${name} (environment): expected ${expected}`);
    expect(message).not.toContain('\n');
  });

  it('names the file, section and key when the bad value came from the file', () => {
    const file = writeConf('cinder-ts.conf', '[api]\nport = many\n');

    expect(() => load()).toThrow(
      `Invalid setting PORT (${file} [api] port): expected an integer from 0 to 65535, got "many"`,
    );
  });

  it('documents every setting with an environment variable, section and default', () => {
    for (const setting of Object.values(SETTINGS)) {
      expect(setting.env).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(setting.doc.length).toBeGreaterThan(10);
      expect(setting.defaultDoc.length).toBeGreaterThan(0);
    }
  });

  it('lists every setting in the README table', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');

    for (const setting of Object.values(SETTINGS)) {
      expect(readme).toContain(`| \`${setting.env}\` |`);
    }
  });
});
