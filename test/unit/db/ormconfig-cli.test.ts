import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import type { dataSourceOptionsFromUrl } from '../../../src/db/data-source';
import { MIGRATIONS } from '../../../src/db/migrations';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../..');

interface Loaded {
  default: DataSource;
  dataSourceOptions: unknown;
  /** src/db/data-source's function from the same module registry (same entity classes). */
  fromUrl: typeof dataSourceOptionsFromUrl;
}

/** ormconfig.ts's exports, loaded afresh with DATABASE_URL set. */
function loadOrmconfig(url: string): Loaded {
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = url;
  try {
    let mod: Loaded | undefined;
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const orm = require('../../../ormconfig') as Omit<Loaded, 'fromUrl'>;
      const db = require('../../../src/db/data-source') as {
        dataSourceOptionsFromUrl: typeof dataSourceOptionsFromUrl;
      };
      /* eslint-enable @typescript-eslint/no-require-imports */
      mod = { ...orm, fromUrl: db.dataSourceOptionsFromUrl };
    });
    return mod!;
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
}

describe('ormconfig.ts', () => {
  it('builds exactly the options the services get from the same URL', () => {
    const url = 'mysql://cinder:secret@db.example:3307/cinder?max_pool_size=7';
    const mod = loadOrmconfig(url);

    expect(mod.dataSourceOptions).toEqual(mod.fromUrl(url));
    expect(mod.default.options).toBe(mod.dataSourceOptions);
  });

  it('drives the TypeORM CLI as its header says: migration:run then migration:show on SQLite', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-cli-'));
    try {
      // FORCE_COLOR=0: under CI=true the CLI inherits jest's FORCE_COLOR and would underline its lines.
      const env = {
        ...process.env,
        FORCE_COLOR: '0',
        DATABASE_URL: `sqlite:${path.join(dir, 'cli.sqlite')}`,
      };
      const cli = (command: string) =>
        run(
          process.execPath,
          [
            '-r',
            './test/helpers/register-ts.js',
            'node_modules/typeorm/cli.js',
            '-d',
            'ormconfig.ts',
            command,
          ],
          { cwd: root, env },
        );

      await cli('migration:run');
      const { stdout } = await cli('migration:show');

      expect(stdout.trim().split('\n')).toEqual(MIGRATIONS.map((m, i) => `[X] ${i + 1} ${m.name}`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
