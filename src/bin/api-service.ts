import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from 'express';
import { createApp } from '../api/app';
import type { RunningService, ServiceContext, ServiceDefinition } from './services';

/** How long a stopping API waits for in-flight requests before it closes their connections. */
export const API_DRAIN_TIMEOUT_MS = 10_000;

export interface ApiServiceOptions {
  /**
   * Builds what the /v3 routes need from the service context (it may open the database with
   * `ctx.resources.dataSource()`) and returns the function that mounts them (AppDeps.mountV3).
   */
  readonly v3?: (ctx: ServiceContext) => Promise<(v3: Router) => void>;
  /** @default API_DRAIN_TIMEOUT_MS */
  readonly drainTimeoutMs?: number;
}

/** A running API service; `address` is where it listens (useful with PORT=0). */
export interface RunningApi extends RunningService {
  readonly address: AddressInfo;
}

/**
 * The HTTP API (cinder-api): listens on HOST:PORT. Stopping refuses new connections, lets in-flight
 * requests finish (closing idle keep-alive connections at once) and force-closes whatever is still open
 * after API_DRAIN_TIMEOUT_MS.
 */
export function createApiService(options: ApiServiceOptions = {}): ServiceDefinition {
  const drainTimeoutMs = options.drainTimeoutMs ?? API_DRAIN_TIMEOUT_MS;
  return {
    name: 'api',
    usesDatabase: true,
    usesTransport: true,
    start: (ctx) => startApi(ctx, drainTimeoutMs, options.v3),
  };
}

async function startApi(
  ctx: ServiceContext,
  drainTimeoutMs: number,
  v3: ApiServiceOptions['v3'],
): Promise<RunningApi> {
  const { config, logger } = ctx;
  const mountV3 = v3 === undefined ? undefined : await v3(ctx);
  const app = createApp({ config, logger, mountV3 });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  logger.info('listening', { address: address.address, port: address.port });

  return {
    name: 'api',
    address,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        logger.warn('requests still running after the drain timeout; closing their connections', {
          timeoutMs: drainTimeoutMs,
        });
        server.closeAllConnections();
      }, drainTimeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      logger.info('stopped listening');
    },
  };
}

/** The API as `npm start` runs it today: versions, healthcheck; the volumes API plugs in through `v3`. */
export const apiService: ServiceDefinition = createApiService();
