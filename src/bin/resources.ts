import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../db/data-source';
import type { Logger } from '../log';
import type { SharedResources } from './services';

/**
 * Creates the shared resources lazily, once, and closes them at shutdown. The SQLite file's folder is
 * created on first use, so `npm start` works in a fresh clone.
 */
export class ProcessResources implements SharedResources {
  private pendingDataSource: Promise<DataSource> | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  dataSource(): Promise<DataSource> {
    this.pendingDataSource ??= this.openDataSource();
    return this.pendingDataSource;
  }

  private async openDataSource(): Promise<DataSource> {
    const ds = createDataSource(this.databaseUrl);
    if (ds.options.type === 'better-sqlite3' && ds.options.database !== ':memory:') {
      fs.mkdirSync(path.dirname(ds.options.database), { recursive: true });
    }
    await ds.initialize();
    this.logger.info('database connected', { type: ds.options.type });
    return ds;
  }

  /** Closes what was opened. Safe to call when nothing was. */
  async close(): Promise<void> {
    const pending = this.pendingDataSource;
    this.pendingDataSource = undefined;
    if (pending === undefined) return;
    const ds = await pending.catch(() => undefined);
    if (ds?.isInitialized) await ds.destroy();
  }
}
