/**
 * The configured DataSource, for the TypeORM CLI and anything else that wants the database the services
 * use. It is built by the same function as theirs, {@link createDataSource} from src/db/data-source.ts,
 * from the same configuration (DATABASE_URL, else `[database] connection` in the config file, else the
 * SQLite default), so entities, migrations, driver (mysql2 for `mysql://`, better-sqlite3 for
 * `sqlite:`), pool size, time zone and SQLite pragmas are theirs too. `synchronize` is off: schema
 * changes go through migrations only (`npm run db:migrate` / `npm run db:revert`).
 *
 * TypeORM CLI from the build (`npm run build` first):
 *   DATABASE_URL=mysql://root@127.0.0.1:3306/cinder npx typeorm -d dist/ormconfig.js migration:show
 *   npx typeorm -d dist/ormconfig.js migration:run        (or migration:revert)
 * or straight from this TypeScript file, through the transpile-on-load hook the tests use (ts-node is
 * not a dependency, so `typeorm-ts-node-commonjs` does not work here):
 *   node -r ./test/helpers/register-ts.js node_modules/typeorm/cli.js -d ormconfig.ts migration:show
 * `migration:generate` compares the entities with a live database; review what it writes (both MySQL and
 * SQLite must run it) and add the class to src/db/migrations/index.ts.
 */
import 'reflect-metadata';
import type { DataSourceOptions } from 'typeorm';
import { loadConfig } from './src/config';
import { createDataSource } from './src/db/data-source';

const { config } = loadConfig({ argv: [], env: process.env, cwd: process.cwd() });

const dataSource = createDataSource(config.databaseUrl);

/** The options the DataSource is built from (the same object the services' DataSources get). */
export const dataSourceOptions: DataSourceOptions = dataSource.options;

export default dataSource;
