import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { createDataSource } from '../db/data-source';
import type { Logger } from '../log';
import { InProcessTransport, type Transport } from '../rpc';
import { AmqpTransport } from '../rpc/amqp-transport';
import type { SharedResources } from './services';

export type ResourceSettings = Pick<
  Config,
  'databaseUrl' | 'transportUrl' | 'controlExchange' | 'rpcResponseTimeout'
>;

/**
 * Creates the shared resources lazily, once, and closes them at shutdown (the transport first, then the
 * database). The SQLite file's folder is created on first use, so `npm start` works in a fresh clone.
 */
export class ProcessResources implements SharedResources {
  private pendingDataSource: Promise<DataSource> | undefined;
  private pendingTransport: Promise<Transport> | undefined;

  constructor(
    private readonly settings: ResourceSettings,
    private readonly logger: Logger,
  ) {}

  dataSource(): Promise<DataSource> {
    this.pendingDataSource ??= this.openDataSource();
    return this.pendingDataSource;
  }

  transport(): Promise<Transport> {
    this.pendingTransport ??= this.openTransport();
    return this.pendingTransport;
  }

  private async openTransport(): Promise<Transport> {
    const { transportUrl, controlExchange, rpcResponseTimeout } = this.settings;
    const defaultTimeoutMs = rpcResponseTimeout * 1000;
    const transport: Transport = transportUrl.startsWith('amqp:')
      ? new AmqpTransport({
          url: transportUrl,
          exchange: controlExchange,
          defaultTimeoutMs,
          logger: this.logger,
        })
      : new InProcessTransport({ defaultTimeoutMs, logger: this.logger });
    await transport.connect();
    this.logger.info('transport connected', { transport: transport.description });
    return transport;
  }

  private async openDataSource(): Promise<DataSource> {
    const ds = createDataSource(this.settings.databaseUrl);
    if (ds.options.type === 'better-sqlite3' && ds.options.database !== ':memory:') {
      fs.mkdirSync(path.dirname(ds.options.database), { recursive: true });
    }
    await ds.initialize();
    this.logger.info('database connected', { type: ds.options.type });
    return ds;
  }

  /** Closes what was opened. Safe to call when nothing was, and more than once. */
  async close(): Promise<void> {
    const transport = this.pendingTransport;
    const dataSource = this.pendingDataSource;
    this.pendingTransport = undefined;
    this.pendingDataSource = undefined;
    // A resource whose opening failed has nothing to close; its error was reported to whoever asked.
    const openedTransport = await transport?.catch(() => undefined);
    await openedTransport?.close();
    const ds = await dataSource?.catch(() => undefined);
    if (ds?.isInitialized) await ds.destroy();
  }
}
