/**
 * The fake virt driver's size: the `[compute] fake_*` settings (FAKE_* variables) as the compute
 * process turns them into driver options, and the driver refusing a size that is not a positive integer.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fakeDriverOptionsOf } from '../../../src/bin/compute-services';
import { DEFAULT_FAKE_RESOURCES, FakeVirtDriver } from '../../../src/compute/fake-driver';
import { InvalidSettingError, loadConfig } from '../../../src/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cinder-ts-fake-driver-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(env: Record<string, string>, file?: string) {
  const argv = file === undefined ? [] : ['--config-file', file];
  return loadConfig({ argv, env, cwd: dir, searchPath: [], hostname: 'node-1', isTTY: false }).config;
}

describe('fake virt driver settings', () => {
  it('defaults to 8 vCPUs, 16384 MB and 500 GB, spawns succeeding', () => {
    const options = fakeDriverOptionsOf(config({}));
    const driver = new FakeVirtDriver({ host: 'c1', ...options });

    expect(options).toEqual({ vcpus: 8, memoryMb: 16384, diskGb: 500, failSpawns: false });
    expect(DEFAULT_FAKE_RESOURCES).toEqual({ vcpus: 8, memoryMb: 16384, diskGb: 500 });
    expect(driver.getAvailableResource('c1')).toEqual({
      hypervisorHostname: 'c1',
      vcpus: 8,
      memoryMb: 16384,
      localGb: 500,
    });
  });

  it('takes the [compute] section of the file, the environment winning over it', () => {
    const file = path.join(dir, 'sized.conf');
    fs.writeFileSync(
      file,
      '[compute]\nfake_vcpus = 2\nfake_memory_mb = 1024\nfake_disk_gb = 10\nfake_fail_spawns = yes\n',
    );

    const options = fakeDriverOptionsOf(config({ FAKE_VCPUS: '6' }, file));

    expect(options).toEqual({ vcpus: 6, memoryMb: 1024, diskGb: 10, failSpawns: true });
  });

  it.each([
    ['FAKE_VCPUS', '0', 'expected an integer >= 1, got "0"'],
    ['FAKE_VCPUS', '-2', 'expected an integer >= 1, got "-2"'],
    ['FAKE_MEMORY_MB', '1.5', 'expected an integer >= 1, got "1.5"'],
    ['FAKE_DISK_GB', 'lots', 'expected an integer >= 1, got "lots"'],
    ['FAKE_FAIL_SPAWNS', 'maybe', 'expected true or false (also 1/0, yes/no, on/off), got "maybe"'],
  ])('refuses %s=%s with one line naming the setting', (variable, value, expected) => {
    let err: unknown;
    try {
      config({ [variable]: value });
    } catch (e) {
      err = e;
    }

    expect(err).toBeInstanceOf(InvalidSettingError);
    expect((err as Error).message).toBe(`Invalid setting ${variable} (environment): ${expected}`);
  });

  it('names the file and key of a bad value from the config file', () => {
    const file = path.join(dir, 'bad.conf');
    fs.writeFileSync(file, '[compute]\nfake_memory_mb = 0\n');

    expect(() => config({}, file)).toThrow(
      `Invalid setting FAKE_MEMORY_MB (${file} [compute] fake_memory_mb): expected an integer >= 1, got "0"`,
    );
  });

  it('refuses a programmatic size that is not a positive integer', () => {
    expect(() => new FakeVirtDriver({ host: 'c1', vcpus: 0 })).toThrow(
      'fake driver vcpus must be a positive integer, got 0',
    );
    expect(() => new FakeVirtDriver({ host: 'c1', memoryMb: 1.5 })).toThrow(
      'fake driver memoryMb must be a positive integer, got 1.5',
    );
    expect(() => new FakeVirtDriver({ host: 'c1', diskGb: Number.NaN })).toThrow(
      'fake driver diskGb must be a positive integer, got NaN',
    );
  });

  it('fails every spawn when told to, or the next N', async () => {
    const always = new FakeVirtDriver({ host: 'c1', failSpawns: true });
    const once = new FakeVirtDriver({ host: 'c2', failSpawns: 1 });
    const req = (uuid: string) => ({ uuid, node: 'n', vcpus: 1, memoryMb: 1, rootGb: 1 });

    await expect(always.spawn(req('a'))).rejects.toThrow('the fake driver was told to fail spawns');
    await expect(always.spawn(req('b'))).rejects.toThrow('the fake driver was told to fail spawns');
    await expect(once.spawn(req('c'))).rejects.toThrow('the fake driver was told to fail spawns');
    await once.spawn(req('d'));

    expect(always.listInstanceUuids()).toEqual([]);
    expect(once.listInstanceUuids()).toEqual(['d']);
  });
});
