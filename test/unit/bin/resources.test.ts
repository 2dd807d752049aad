import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProcessResources } from '../../../src/bin/resources';
import { silentLogger } from '../../../src/log';
import { InProcessTransport } from '../../../src/rpc';

describe('ProcessResources', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-res-'));
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function resources(databaseUrl = `sqlite:${path.join(dir, 'nested/deeper/db.sqlite')}`) {
    return new ProcessResources(
      { databaseUrl, transportUrl: 'inproc://', controlExchange: 'x', rpcResponseTimeout: 7 },
      silentLogger(),
    );
  }

  it('opens one SQLite DataSource, creating the folder of its file, and closes it', async () => {
    const res = resources();

    const a = await res.dataSource();
    const b = await res.dataSource();
    await a.query('SELECT 1');
    await res.close();

    expect(a).toBe(b);
    expect(fs.existsSync(path.join(dir, 'nested/deeper/db.sqlite'))).toBe(true);
    expect(a.isInitialized).toBe(false);
  });

  it('gives every service the same connected in-process transport for inproc://', async () => {
    const res = resources();

    const a = await res.transport();
    const b = await res.transport();
    const served = await a.listen({ topic: 'scheduler', server: 'h1' }, async (m) => ({ echoed: m.args }));
    const reply = await b.call(
      { topic: 'scheduler' },
      { envelopeVersion: 1, method: 'ping', args: { n: 1 }, context: {}, messageId: 'm1' },
    );
    await served.close();
    await res.close();

    expect(a).toBeInstanceOf(InProcessTransport);
    expect(a).toBe(b);
    expect(reply).toEqual({ echoed: { n: 1 } });
    await expect(a.connect()).rejects.toThrow(/closed/);
  });

  it('reports a database it cannot open to the caller, and still closes cleanly', async () => {
    const res = resources('mysql://root@127.0.0.1:1/nothing');

    await expect(res.dataSource()).rejects.toThrow(/ECONNREFUSED|connect/);
    await expect(res.close()).resolves.toBeUndefined();
  });
});
