import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';

/** Loads ormconfig.ts afresh with the given environment and working directory. */
function loadOrmconfig(env: Record<string, string>, cwd: string): DataSource {
  const saved = { ...process.env };
  const savedCwd = process.cwd();
  try {
    for (const key of ['DATABASE_URL']) delete process.env[key];
    Object.assign(process.env, env);
    process.chdir(cwd);
    let ds: DataSource | undefined;
    jest.isolateModules(() => {
      // A fresh require is the only way to re-run the module's top level with another environment.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ds = (require('../../../ormconfig') as { default: DataSource }).default;
    });
    return ds!;
  } finally {
    process.chdir(savedCwd);
    process.env = saved;
  }
}

describe('ormconfig.ts', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-orm-'));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('defaults to the SQLite file under ./data with better-sqlite3', () => {
    const ds = loadOrmconfig({}, dir);

    expect(ds.options.type).toBe('better-sqlite3');
    expect(ds.options.database).toBe(path.join(fs.realpathSync(dir), 'data/cinder-ts.sqlite'));
    expect(ds.options.synchronize).toBe(false);
    expect(ds.options.migrations).not.toHaveLength(0);
    expect(ds.isInitialized).toBe(false);
  });

  it('picks MySQL with the mysql2 driver from DATABASE_URL', () => {
    const ds = loadOrmconfig({ DATABASE_URL: 'mysql://cinder:secret@db.example:3307/cinder' }, dir);

    expect(ds.options).toMatchObject({
      type: 'mysql',
      connectorPackage: 'mysql2',
      host: 'db.example',
      port: 3307,
      username: 'cinder',
      password: 'secret',
      database: 'cinder',
      synchronize: false,
    });
  });

  it('reads [database] connection from ./cinder-ts.conf when DATABASE_URL is unset', () => {
    fs.writeFileSync(path.join(dir, 'cinder-ts.conf'), '[database]\nconnection = sqlite:./other.sqlite\n');

    const ds = loadOrmconfig({}, dir);

    expect(ds.options.database).toBe(path.join(fs.realpathSync(dir), 'other.sqlite'));
  });
});
