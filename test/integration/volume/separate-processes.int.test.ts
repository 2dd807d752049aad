/**
 * The volume services as separate processes on MariaDB + RabbitMQ, started with `src/bin/main.ts`
 * exactly as `npm start -- <service> [--host NAME]` does: api, scheduler and two volume services
 * (`--host v1`, `--host v2`, each with its own VOLUME_DIR). Volumes land on both backends and become
 * available; deleting them removes the files and gives the quota back. The run gets its own RabbitMQ
 * vhost (the processes use the default queue names) and its own database.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Deployment } from '../../helpers/deployment';
import { httpJson, pollVolume } from '../../helpers/processes';

jest.setTimeout(120_000);
const PROJECT = 'abcdef0123456789abcdef0123456789';

describe('volume services as separate processes (MariaDB + RabbitMQ)', () => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await Deployment.create({ label: 'vol' });
  });

  afterAll(async () => {
    await deployment?.destroy();
  });

  it('creates volumes that land on both backends and become available, then deletes them with exact quota', async () => {
    const dir = deployment.dir;
    await deployment.start('scheduler', 'sched1');
    for (const host of ['v1', 'v2'])
      await deployment.start('volume', host, { VOLUME_DIR: path.join(dir, host) });
    const { port } = await deployment.startApi();

    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await httpJson(port, 'POST', `/v3/${PROJECT}/volumes`, `alice:${PROJECT}`, {
        volume: { size: 1 },
      });
      expect(res.status).toBe(202);
      ids.push((res.body!['volume'] as { id: string }).id);
    }
    const vols = await Promise.all(
      ids.map((id) => pollVolume(port, PROJECT, id, (_s, v) => v?.['status'] !== 'creating')),
    );

    expect(vols.map((v) => v?.['status'])).toEqual(Array(6).fill('available'));
    expect(new Set(vols.map((v) => v?.['os-vol-host-attr:host']))).toEqual(
      new Set(['v1@file#file', 'v2@file#file']),
    );
    expect(fs.readdirSync(path.join(dir, 'v1')).length + fs.readdirSync(path.join(dir, 'v2')).length).toBe(6);

    for (const id of ids)
      expect(
        (await httpJson(port, 'DELETE', `/v3/${PROJECT}/volumes/${id}`, `alice:${PROJECT}`)).status,
      ).toBe(202);
    for (const id of ids) await pollVolume(port, PROJECT, id, (s) => s === 404);
    // The row goes first, then the release is committed (Cinder's order): wait for it briefly.
    let usage = await httpJson(
      port,
      'GET',
      `/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`,
      `alice:${PROJECT}`,
    );
    for (
      let i = 0;
      i < 100 && (usage.body!['quota_set'] as Record<string, { in_use: number }>)['volumes']!.in_use !== 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
      usage = await httpJson(
        port,
        'GET',
        `/v3/${PROJECT}/os-quota-sets/${PROJECT}?usage=true`,
        `alice:${PROJECT}`,
      );
    }

    expect(fs.readdirSync(path.join(dir, 'v1')).length + fs.readdirSync(path.join(dir, 'v2')).length).toBe(0);
    expect((usage.body!['quota_set'] as Record<string, unknown>)['volumes']).toMatchObject({
      in_use: 0,
      reserved: 0,
    });
    for (const p of deployment.procs.splice(0).reverse()) expect(await p.stop()).toBe(0);
  });
});
