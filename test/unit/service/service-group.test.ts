import { InMemoryServiceRecordStore, ServiceNotFoundError, type ServiceRecord } from '../../../src/service/service-record-store';
import { effectiveServiceDownTime, ServiceGroup, type ServiceGroupMember } from '../../../src/service/service-group';
import { RecordingLogger } from './recording-logger';

const s = (n: number): number => n * 1000;

async function member(store: InMemoryServiceRecordStore, host = 'h1'): Promise<ServiceGroupMember> {
  const { record } = await store.getOrCreate({ host, binary: 'cinder-volume', topic: 'volume' });
  return { host, binary: 'cinder-volume', topic: 'volume', serviceRef: record, modelDisconnected: false };
}

describe('service group heartbeats', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('defaults to a 10 s report interval and 60 s down time', () => {
    const g = new ServiceGroup(new InMemoryServiceRecordStore());

    expect(g.reportInterval).toBe(10);
    expect(g.serviceDownTime).toBe(60);
  });

  it('raises service_down_time to 2.5 × report_interval with a warning when it is not larger', () => {
    const log = new RecordingLogger();
    const store = new InMemoryServiceRecordStore();

    const equal = new ServiceGroup(store, { reportInterval: 10, serviceDownTime: 10, logger: log });
    const below = new ServiceGroup(store, { reportInterval: 30, serviceDownTime: 20, logger: log });
    const fine = new ServiceGroup(store, { reportInterval: 30, serviceDownTime: 31, logger: log });

    expect(equal.serviceDownTime).toBe(25);
    expect(below.serviceDownTime).toBe(75);
    expect(fine.serviceDownTime).toBe(31);
    expect(effectiveServiceDownTime(3, 3)).toBe(7);
    const warnings = log.matching(/must be less than service down time/, 'warn');
    expect(warnings.map((w) => w.meta['newServiceDownTime'])).toEqual([25, 75]);
  });

  it('reports first after 5 s then every report_interval, bumping report_count and updated_at', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 10 });
    const m = await member(store);
    const created = m.serviceRef!.createdAt.getTime();

    g.join(m);
    await jest.advanceTimersByTimeAsync(s(4.9));
    const at4 = m.serviceRef!;
    await jest.advanceTimersByTimeAsync(s(0.1));
    const at5 = m.serviceRef!;
    await jest.advanceTimersByTimeAsync(s(20));
    const at25 = m.serviceRef!;
    await g.leave(m);

    expect(at4.reportCount).toBe(0);
    expect(at4.updatedAt).toBeNull();
    expect(at5.reportCount).toBe(1);
    expect(at5.updatedAt!.getTime() - created).toBe(s(5));
    expect(at25.reportCount).toBe(3);
    expect(at25.updatedAt!.getTime() - created).toBe(s(25));
    expect((await store.getByHostAndBinary('h1', 'cinder-volume'))!.reportCount).toBe(3);
  });

  it('sends no heartbeats with report_interval 0', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 0 });
    const m = await member(store);

    g.join(m);
    await jest.advanceTimersByTimeAsync(s(100));

    expect(m.serviceRef!.reportCount).toBe(0);
  });

  it('is up while the last heartbeat is at most service_down_time old, then down', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 10, serviceDownTime: 60 });
    const m = await member(store);
    g.join(m);

    await jest.advanceTimersByTimeAsync(s(35)); // beats at 5, 15, 25, 35
    const whileBeating = g.isUp((await store.getByHostAndBinary('h1', 'cinder-volume'))!);
    await g.leave(m); // the service dies: no more beats
    await jest.advanceTimersByTimeAsync(s(60));
    const at60Silent = g.isUp((await store.getByHostAndBinary('h1', 'cinder-volume'))!);
    await jest.advanceTimersByTimeAsync(s(1));
    const at61Silent = g.isUp((await store.getByHostAndBinary('h1', 'cinder-volume'))!);

    expect(whileBeating).toBe(true);
    expect(at60Silent).toBe(true);
    expect(at61Silent).toBe(false);
    expect((await g.listWithState()).map((r) => r.up)).toEqual([false]);
  });

  it('uses created_at before the first heartbeat, and a forced-down service is down', () => {
    const g = new ServiceGroup(new InMemoryServiceRecordStore(), { serviceDownTime: 60 });
    const now = Date.now();
    const rec = (createdAgo: number, updatedAgo: number | null, forcedDown = false): Pick<ServiceRecord, 'createdAt' | 'updatedAt' | 'forcedDown'> => ({
      createdAt: new Date(now - s(createdAgo)),
      updatedAt: updatedAgo === null ? null : new Date(now - s(updatedAgo)),
      forcedDown,
    });

    expect(g.isUp(rec(30, null))).toBe(true);
    expect(g.isUp(rec(90, null))).toBe(false);
    expect(g.isUp(rec(900, 59))).toBe(true);
    expect(g.isUp(rec(900, 1, true))).toBe(false);
  });

  it('logs "model disconnected" once while heartbeats fail and the recovery once', async () => {
    const log = new RecordingLogger();
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 10, logger: log });
    const m = await member(store);
    let failures = 3;
    const real = store.reportState.bind(store);
    jest.spyOn(store, 'reportState').mockImplementation(async (id) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('database went away');
      }
      return real(id);
    });

    g.join(m);
    await jest.advanceTimersByTimeAsync(s(25)); // beats at 5, 15, 25 fail
    const disconnectedDuringOutage = m.modelDisconnected;
    await jest.advanceTimersByTimeAsync(s(20)); // beats at 35, 45 succeed
    await g.leave(m);

    expect(disconnectedDuringOutage).toBe(true);
    expect(m.modelDisconnected).toBe(false);
    const lost = log.matching(/model disconnected/, 'error');
    expect(lost).toHaveLength(1);
    expect((lost[0]!.meta['err'] as Error).message).toBe('database went away');
    expect(log.matching(/recovered model connection/, 'info')).toHaveLength(1);
    expect(m.serviceRef!.reportCount).toBe(2);
  });

  it('treats a deleted service record as a failed heartbeat, not a crash', async () => {
    const log = new RecordingLogger();
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { logger: log });
    const m = await member(store);
    await store.destroy(m.serviceRef!.id);

    await g.reportState(m);
    await g.reportState(m);

    expect(m.modelDisconnected).toBe(true);
    const lines = log.matching(/model disconnected/);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.meta['err']).toBeInstanceOf(ServiceNotFoundError);
  });
});
