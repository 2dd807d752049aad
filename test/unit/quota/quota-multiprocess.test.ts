import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QuotaEngine } from '../../../src/quota';
import { createTestSqliteDatabase, type TestDatabase } from '../../helpers/db';

interface WorkerResult {
  committed: number;
  committedGb: number;
  rejected: number;
  errors: string[];
}

interface Worker {
  ready: Promise<void>;
  result: Promise<WorkerResult>;
}

function startWorker(args: string[]): Worker {
  const fixtures = path.join(__dirname, 'fixtures');
  const child = spawn(
    process.execPath,
    ['-r', path.join(fixtures, 'ts-register.js'), path.join(fixtures, 'sqlite-quota-worker.ts'), ...args],
    { cwd: path.resolve(__dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const result = new Promise<WorkerResult>((resolve, reject) => {
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`worker exited ${String(code)}: ${last} ${err}`));
      else resolve(JSON.parse(last) as WorkerResult);
    });
  });
  return { ready, result };
}

describe('QuotaEngine on one SQLite file shared by several processes', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestSqliteDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps usage exact and within limits, with no busy or lock error reaching a caller', async () => {
    const projectId = 'multiprocess';
    const quotas = new QuotaEngine(db.dataSource);
    await quotas.setLimits(projectId, { volumes: 12, gigabytes: 25 });
    const goFile = `${db.url.replace(/^sqlite:/, '')}.go`;

    const workers = [1, 2, 3].map((seed) => startWorker([db.url, projectId, '40', String(seed), goFile]));
    await Promise.all(workers.map((w) => w.ready));
    fs.writeFileSync(goFile, 'go');
    const results = await Promise.all(workers.map((w) => w.result));
    const view = await quotas.getProjectQuotas(projectId, { usages: true });
    const committed = results.reduce((a, r) => a + r.committed, 0);
    const committedGb = results.reduce((a, r) => a + r.committedGb, 0);

    expect(results.flatMap((r) => r.errors)).toEqual([]);
    expect(view.volumes).toEqual({ limit: 12, inUse: committed, reserved: 0 });
    expect(view.gigabytes).toEqual({ limit: 25, inUse: committedGb, reserved: 0 });
    expect(committed).toBeGreaterThan(0);
    expect(results.reduce((a, r) => a + r.rejected, 0)).toBeGreaterThan(0); // the limits were actually hit
  }, 120_000);
});
