/**
 * A compute started before its conductor waits for it (Nova's wait_until_ready) instead of failing
 * its start: pings are retried while nobody listens on `conductor`, until the conductor answers or
 * the wait times out. Real RPC layer (in-process transport), no real sleeps.
 */
import {
  CONDUCTOR_WAIT_WARNING,
  waitForConductor,
  type ConductorWaitOptions,
} from '../../../src/compute/compute-manager';
import { ConductorManager } from '../../../src/conductor/conductor-manager';
import { ObjectEnvironment } from '../../../src/objects/environment';
import { RpcClient } from '../../../src/rpc/client';
import { RequestContext } from '../../../src/rpc/context';
import { MessageDeliveryFailure } from '../../../src/rpc/errors';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import type { Logger } from '../../../src/rpc/logger';
import { RpcServer } from '../../../src/rpc/server';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';

function recordingLogger(lines: Array<[string, string]>): Logger {
  const log = {
    child: () => log,
    info: (m: string) => void lines.push(['info', m]),
    warn: (m: string) => void lines.push(['warn', m]),
    error: (m: string) => void lines.push(['error', m]),
    debug: () => undefined,
  };
  return log as unknown as Logger;
}

describe('waitForConductor', () => {
  let db: TestDatabase;
  let transport: InProcessTransport;
  let server: RpcServer | undefined;

  beforeEach(async () => {
    db = await createTestSqliteDatabase();
    transport = new InProcessTransport({ defaultTimeoutMs: 1000 });
    await transport.connect();
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await transport.close();
    await db.drop();
  });

  async function startConductor(): Promise<void> {
    const manager = new ConductorManager({
      host: 'ctl',
      objectEnv: ObjectEnvironment.direct('nova-conductor', db.dataSource),
    });
    server = new RpcServer(transport, { topic: 'conductor', server: 'ctl' }, [
      manager,
      ...manager.additionalEndpoints,
    ]);
    await server.start();
  }

  function options(
    overrides: Partial<ConductorWaitOptions>,
    clock: { t: number },
    sleeps: number[],
  ): ConductorWaitOptions {
    return {
      timeoutSec: 120,
      pingTimeoutMs: 500,
      retryDelayMs: 1000,
      now: () => clock.t,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.t += ms;
      },
      ...overrides,
    };
  }

  it('retries while no conductor listens and returns once it answers', async () => {
    const lines: Array<[string, string]> = [];
    const clock = { t: 0 };
    const sleeps: number[] = [];
    const o = options({}, clock, sleeps);
    const client = new RpcClient(transport, { topic: 'conductor' }, { version: '3.0' });
    // The conductor comes up during the third pause.
    const sleep = o.sleep;
    const waiting = waitForConductor(client, 'c1', recordingLogger(lines), {
      ...o,
      sleep: async (ms) => {
        await sleep(ms);
        if (sleeps.length === 3) await startConductor();
      },
    });

    await expect(waiting).resolves.toBeUndefined();
    expect(sleeps).toEqual([1000, 1000, 1000]);
    expect(lines.filter(([level]) => level === 'warn').map(([, m]) => m)).toEqual(
      Array(3).fill(CONDUCTOR_WAIT_WARNING),
    );
    expect(lines.at(-1)).toEqual(['info', 'nova-conductor connection established']);
  });

  it('fails with the delivery error once the wait is over', async () => {
    const clock = { t: 0 };
    const sleeps: number[] = [];
    const client = new RpcClient(transport, { topic: 'conductor' }, { version: '3.0' });

    const waiting = waitForConductor(
      client,
      'c1',
      recordingLogger([]),
      options({ timeoutSec: 5 }, clock, sleeps),
    );

    await expect(waiting).rejects.toBeInstanceOf(MessageDeliveryFailure);
    expect(sleeps).toEqual([1000, 1000, 1000, 1000, 1000]);
  });

  it('gives up at once, with the reason, when the start is aborted', async () => {
    const abort = new AbortController();
    const clock = { t: 0 };
    const sleeps: number[] = [];
    const client = new RpcClient(transport, { topic: 'conductor' }, { version: '3.0' });
    const o = options({ abort: abort.signal }, clock, sleeps);

    const waiting = waitForConductor(client, 'c1', recordingLogger([]), {
      ...o,
      sleep: async (ms) => {
        await o.sleep(ms);
        if (sleeps.length === 2) abort.abort('SIGTERM');
      },
    });

    await expect(waiting).rejects.toBe('SIGTERM');
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('does not ping at all with a timeout of 0', async () => {
    const client = new RpcClient(transport, { topic: 'conductor' }, { version: '3.0' });

    await expect(
      waitForConductor(client, 'c1', recordingLogger([]), options({ timeoutSec: 0 }, { t: 0 }, [])),
    ).resolves.toBeUndefined();
  });

  it('answers the ping once the conductor runs', async () => {
    await startConductor();
    const client = new RpcClient(transport, { topic: 'conductor' }, { version: '3.0' });

    await expect(client.call(RequestContext.admin(), 'ping', { arg: 'x' })).resolves.toEqual({
      service: 'conductor',
      arg: 'x',
    });
  });
});
