/**
 * What every ServiceRecordStore must do: the in-memory one, and the TypeORM one on SQLite and MariaDB.
 * `make` returns a fresh, empty store and the clock it uses (tests move the clock themselves).
 */
import {
  ServiceExistsError,
  ServiceNotFoundError,
  type ServiceRecordStore,
} from '../../src/service/service-record-store';

export interface StoreUnderTest {
  store: ServiceRecordStore;
  /** Set the store's clock. */
  setNow(d: Date): void;
  /** Called after each test. */
  dispose(): Promise<void>;
}

const T0 = new Date('2030-01-01T00:00:00.000Z');

export function serviceRecordStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`ServiceRecordStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    beforeEach(async () => {
      sut = await make();
      sut.setNow(T0);
    });
    afterEach(async () => {
      await sut.dispose();
    });

    it('creates a live record with defaults and finds it by host and binary', async () => {
      const created = await sut.store.create({ host: 'h1', binary: 'cinder-volume', topic: 'volume' });

      const found = await sut.store.getByHostAndBinary('h1', 'cinder-volume');

      expect(created).toMatchObject({
        host: 'h1',
        binary: 'cinder-volume',
        topic: 'volume',
        reportCount: 0,
        disabled: false,
        disabledReason: null,
        availabilityZone: 'nova',
        forcedDown: false,
        updatedAt: null,
      });
      expect(created.createdAt.getTime()).toBe(T0.getTime());
      expect(found).toEqual(created);
      expect(await sut.store.getByHostAndBinary('h1', 'cinder-scheduler')).toBeNull();
      expect(await sut.store.getByHostAndBinary('h2', 'cinder-volume')).toBeNull();
    });

    it('refuses a second live record for the same host and binary', async () => {
      await sut.store.create({ host: 'h1', binary: 'cinder-volume', topic: 'volume' });

      const err = await sut.store
        .create({ host: 'h1', binary: 'cinder-volume', topic: 'volume' })
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(ServiceExistsError);
      expect(err).toMatchObject({ host: 'h1', binary: 'cinder-volume', code: 'SERVICE_EXISTS' });
      expect(await sut.store.list()).toHaveLength(1);
    });

    it('get-or-create returns the existing record, and concurrent callers share one', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          sut.store.getOrCreate({ host: 'race', binary: 'nova-compute', topic: 'compute' }),
        ),
      );
      const again = await sut.store.getOrCreate({ host: 'race', binary: 'nova-compute', topic: 'compute' });

      expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(again).toEqual({ record: results[0]!.record, created: false });
      expect(await sut.store.list({ host: 'race' })).toHaveLength(1);
    });

    it('bumps report_count and updated_at on each heartbeat', async () => {
      const r = await sut.store.create({ host: 'h1', binary: 'cinder-volume', topic: 'volume' });

      sut.setNow(new Date(T0.getTime() + 10_500));
      await sut.store.reportState(r.id);
      sut.setNow(new Date(T0.getTime() + 20_250));
      const second = await sut.store.reportState(r.id);

      expect(second.reportCount).toBe(2);
      expect(second.updatedAt!.getTime()).toBe(T0.getTime() + 20_250);
      expect((await sut.store.getByHostAndBinary('h1', 'cinder-volume'))!.reportCount).toBe(2);
    });

    it('counts concurrent heartbeats exactly', async () => {
      const r = await sut.store.create({ host: 'h1', binary: 'cinder-volume', topic: 'volume' });

      await Promise.all(Array.from({ length: 10 }, () => sut.store.reportState(r.id)));

      expect((await sut.store.getByHostAndBinary('h1', 'cinder-volume'))!.reportCount).toBe(10);
    });

    it('updates admin fields and soft-deletes, after which the host can register again', async () => {
      const r = await sut.store.create({ host: 'h1', binary: 'cinder-volume', topic: 'volume' });

      const disabled = await sut.store.update(r.id, {
        disabled: true,
        disabledReason: 'maintenance',
        forcedDown: true,
      });
      await sut.store.destroy(r.id);
      const fresh = await sut.store.create({ host: 'h1', binary: 'cinder-volume', topic: 'volume' });

      expect(disabled).toMatchObject({ disabled: true, disabledReason: 'maintenance', forcedDown: true });
      expect(await sut.store.list()).toEqual([fresh]);
      expect(fresh.id).not.toBe(r.id);
      await expect(sut.store.reportState(r.id)).rejects.toBeInstanceOf(ServiceNotFoundError);
      await expect(sut.store.update(r.id, { disabled: false })).rejects.toBeInstanceOf(ServiceNotFoundError);
      await expect(sut.store.destroy(r.id)).rejects.toBeInstanceOf(ServiceNotFoundError);
    });

    it('lists live records by id with filters', async () => {
      await sut.store.create({ host: 'a', binary: 'cinder-volume', topic: 'volume' });
      await sut.store.create({ host: 'b', binary: 'cinder-volume', topic: 'volume' });
      await sut.store.create({ host: 'a', binary: 'cinder-scheduler', topic: 'scheduler' });

      expect((await sut.store.list()).map((r) => `${r.host}/${r.topic}`)).toEqual([
        'a/volume',
        'b/volume',
        'a/scheduler',
      ]);
      expect((await sut.store.list({ host: 'a' })).map((r) => r.topic)).toEqual(['volume', 'scheduler']);
      expect((await sut.store.list({ topic: 'volume', host: 'b' })).map((r) => r.host)).toEqual(['b']);
      expect(await sut.store.list({ binary: 'nova-compute' })).toEqual([]);
    });

    it('rejects bad input clearly and writes nothing', async () => {
      await expect(sut.store.create({ host: '', binary: 'cinder-volume', topic: 'volume' })).rejects.toThrow(
        'host',
      );
      await expect(sut.store.create({ host: 'h', binary: 'x'.repeat(256), topic: 'volume' })).rejects.toThrow(
        'binary',
      );

      expect(await sut.store.list()).toEqual([]);
    });
  });
}
