import { runComputeCommand } from '../../../src/compute/cli';
import { RequestContext } from '../../../src/rpc/context';
import { InProcessTransport } from '../../../src/rpc/in-process-transport';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';
import { startCloud, type Cloud } from './cloud';

const ctx = new RequestContext({ userId: 'u', projectId: 'p' });

describe('compute CLI commands', () => {
  let db: TestDatabase;
  let cloud: Cloud;
  let out: string[];
  let err: string[];
  const io = () => ({
    out: (t: string) => void out.push(t),
    err: (t: string) => void err.push(t),
    waitTimeoutMs: 10_000,
  });

  beforeEach(async () => {
    db = await createTestSqliteDatabase();
    const transport = new InProcessTransport();
    cloud = await startCloud({
      dataSource: db.dataSource,
      makeTransport: async () => transport,
      hosts: { cmp1: { memoryMb: 2048 } },
    });
    out = [];
    err = [];
  });
  afterEach(async () => {
    await cloud.stop();
    await db.drop();
  });

  it('creates a server, waits for it and shows it; lists hypervisors with usage', async () => {
    const code = await runComputeCommand(
      ['server', 'create', '--vcpus', '2', '--ram', '512', '--disk', '1', '--name', 'web', '--wait'],
      cloud.api,
      ctx,
      io(),
    );
    const created = JSON.parse(out[0]!) as {
      server: { id: string; status: string; host: string; name: string };
    };
    const showCode = await runComputeCommand(['server', 'show', created.server.id], cloud.api, ctx, io());
    await runComputeCommand(['hypervisor', 'list'], cloud.api, ctx, io());

    expect(code).toBe(0);
    expect(created.server).toMatchObject({ status: 'ACTIVE', host: 'cmp1', name: 'web' });
    expect(showCode).toBe(0);
    expect(JSON.parse(out[1]!)).toMatchObject({ server: { id: created.server.id, status: 'ACTIVE' } });
    expect(JSON.parse(out[2]!)).toMatchObject({
      hypervisors: [{ host: 'cmp1', vcpusUsed: 2, memoryMbUsed: 512 }],
    });
  });

  it('exits non-zero with a clear message on bad input, unknown servers and builds that end in ERROR', async () => {
    const codes = [
      await runComputeCommand(
        ['server', 'create', '--vcpus', 'two', '--ram', '1', '--disk', '1'],
        cloud.api,
        ctx,
        io(),
      ),
      await runComputeCommand(['server', 'create', '--ram', '1', '--disk', '1'], cloud.api, ctx, io()),
      await runComputeCommand(
        ['server', 'create', '--vcpus', '0', '--ram', '1', '--disk', '1'],
        cloud.api,
        ctx,
        io(),
      ),
      await runComputeCommand(
        ['server', 'show', '00000000-0000-0000-0000-000000000000'],
        cloud.api,
        ctx,
        io(),
      ),
      await runComputeCommand(['reboot'], cloud.api, ctx, io()),
      await runComputeCommand(
        ['server', 'create', '--vcpus', '1', '--ram', '99999', '--disk', '1', '--wait'],
        cloud.api,
        ctx,
        io(),
      ),
    ];

    expect(codes).toEqual([2, 2, 2, 1, 2, 1]);
    expect(err[0]).toContain("--vcpus must be a whole number, got 'two'");
    expect(err[1]).toContain('--vcpus is required');
    expect(err[2]).toContain('vcpus must be a positive integer');
    expect(err[3]).toContain('could not be found');
    expect(err[4]).toContain('unknown command: reboot');
    expect(JSON.parse(out[0]!)).toMatchObject({ server: { status: 'ERROR' } });
  });
});
