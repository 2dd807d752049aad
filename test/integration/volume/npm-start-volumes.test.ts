/**
 * `npm start` as a newcomer runs it (all services in one process, SQLite file, in-process transport):
 * POST /volumes becomes `available` as a sparse file under VOLUME_DIR; DELETE removes it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { httpJson, pollVolume, startProcess } from '../../helpers/processes';

jest.setTimeout(90_000);

const PROJECT = '0123456789abcdef0123456789abcdef';

describe('npm start: volumes end to end in one process', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-start-vol-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a volume that becomes available as a sparse file, then deletes it', async () => {
    const proc = startProcess(
      [],
      {
        PATH: process.env['PATH'],
        HOME: dir,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_FORMAT: 'json',
        PERIODIC_FUZZY_DELAY: '0',
      },
      dir,
    );
    try {
      const port = (await proc.waitFor((l) => l['message'] === 'listening'))['port'] as number;

      const created = await httpJson(port, 'POST', `/v3/${PROJECT}/volumes`, `alice:${PROJECT}`, {
        volume: { size: 1, name: 'first' },
      });
      const id = (created.body!['volume'] as { id: string }).id;
      const v = await pollVolume(port, PROJECT, id, (_s, vol) => vol?.['status'] !== 'creating');
      const file = path.join(dir, 'data/volumes', `volume-${id}`);
      const size = fs.statSync(file).size;
      const del = await httpJson(port, 'DELETE', `/v3/${PROJECT}/volumes/${id}`, `alice:${PROJECT}`);
      await pollVolume(port, PROJECT, id, (s) => s === 404);

      expect(created.status).toBe(202);
      expect(v).toMatchObject({ status: 'available', 'os-vol-host-attr:host': `${os.hostname()}@file#file` });
      expect(size).toBe(1024 ** 3);
      expect(del.status).toBe(202);
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      expect(await proc.stop()).toBe(0);
    }
  });
});
