import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../api/app';
import type { RunningService, ServiceContext, ServiceDefinition } from './services';

/** How long a stopping API waits for in-flight requests before it closes their connections. */
export const API_DRAIN_TIMEOUT_MS = 10_000;

/** A running API service; `address` is where it listens (useful with PORT=0). */
export interface RunningApi extends RunningService {
  readonly address: AddressInfo;
}

/**
 * The HTTP API (cinder-api): listens on HOST:PORT. Stopping refuses new connections, lets in-flight
 * requests finish (closing idle keep-alive connections at once) and force-closes whatever is still open
 * after API_DRAIN_TIMEOUT_MS.
 */
export const apiService: ServiceDefinition = {
  name: 'api',
  usesDatabase: true,
  async start(ctx: ServiceContext): Promise<RunningApi> {
    const { config, logger } = ctx;
    // Later issues mount the volumes API here: createApp({ ..., mountV3: (v3) => … }).
    const app = createApp({ config, logger });
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
            timeoutMs: API_DRAIN_TIMEOUT_MS,
          });
          server.closeAllConnections();
        }, API_DRAIN_TIMEOUT_MS);
        timer.unref();
        await closed;
        clearTimeout(timer);
        logger.info('stopped listening');
      },
    };
  },
};
