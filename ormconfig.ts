/**
 * The one DataSource, for the TypeORM CLI (`npx typeorm -d dist/ormconfig.js migration:show`) and
 * anything else that wants the configured database. The URL comes from the same configuration as the
 * services (DATABASE_URL, else [database] connection in the config file, else the SQLite default);
 * `dataSourceOptionsFromUrl` picks mysql2 or better-sqlite3 from it. Schema changes go through
 * migrations only (`synchronize` is off): `npm run db:migrate`.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config';
import { dataSourceOptionsFromUrl } from './src/db/data-source';

const { config } = loadConfig({ argv: [], env: process.env, cwd: process.cwd() });

/** The options the DataSource is built from: better-sqlite3 for `sqlite:`, mysql2 for `mysql://`. */
export const dataSourceOptions = dataSourceOptionsFromUrl(config.databaseUrl);

export default new DataSource(dataSourceOptions);
