import {
  InMemoryServiceRecordStore,
  ServiceNotFoundError,
  type ServiceRecord,
} from '../../../src/service/service-record-store';
import {
  effectiveServiceDownTime,
  ServiceGroup,
  type ServiceGroupMember,
} from '../../../src/service/service-group';
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

    await g.join(m);
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

    await g.join(m);
    await jest.advanceTimersByTimeAsync(s(100));

    expect(m.serviceRef!.reportCount).toBe(0);
  });

  it('is up while the last heartbeat is at most service_down_time old, then down', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 10, serviceDownTime: 60 });
    const m = await member(store);
    await g.join(m);

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
    const rec = (
      createdAgo: number,
      updatedAgo: number | null,
      forcedDown = false,
    ): Pick<ServiceRecord, 'createdAt' | 'updatedAt' | 'forcedDown'> => ({
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

    await g.join(m);
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

describe('the first heartbeat', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** Whether the member is up at each step of `stepS` seconds for `forS` seconds. */
  async function upEvery(
    g: ServiceGroup,
    store: InMemoryServiceRecordStore,
    stepS: number,
    forS: number,
  ): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let t = 0; t <= forS; t += stepS) {
      out.push(g.isUp((await store.getByHostAndBinary('h1', 'cinder-volume'))!));
      await jest.advanceTimersByTimeAsync(s(stepS));
    }
    return out;
  }

  it('comes after min(5 s, report_interval): with a 1 s interval, after 1 s', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 1, serviceDownTime: 3 });
    const m = await member(store);

    await g.join(m);
    await jest.advanceTimersByTimeAsync(s(0.9));
    const before = m.serviceRef!.reportCount;
    await jest.advanceTimersByTimeAsync(s(0.1));
    const at1 = m.serviceRef!.reportCount;
    await jest.advanceTimersByTimeAsync(s(3));
    const at4 = m.serviceRef!.reportCount;
    await g.leave(m);

    expect(g.firstReportDelay).toBe(1);
    expect(new ServiceGroup(store, { reportInterval: 10 }).firstReportDelay).toBe(5);
    expect([before, at1, at4]).toEqual([0, 1, 4]);
  });

  it('keeps a new service up from its start on with service_down_time under 5 s', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 1, serviceDownTime: 2 });
    const m = await member(store);

    await g.join(m);
    const seen = await upEvery(g, store, 0.25, 12);
    await g.leave(m);

    // Nova's fixed 5 s first delay would show it down from 2 s to 5 s after the start.
    expect(seen.every((up) => up)).toBe(true);
  });

  it('reports at once when a restarted service’s record would be seen down before the first heartbeat', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 10, serviceDownTime: 60 });
    const old = await member(store);
    await store.reportState(old.serviceRef!.id); // the previous run's last heartbeat …
    await jest.advanceTimersByTimeAsync(s(3600)); // … an hour ago
    const m = await member(store);
    const downBefore = !g.isUp(m.serviceRef!);

    await g.join(m);
    const afterJoin = m.serviceRef!;
    const seen = await upEvery(g, store, 1, 40);
    await g.leave(m);

    expect(downBefore).toBe(true);
    expect(afterJoin.reportCount).toBe(2);
    expect(afterJoin.updatedAt!.getTime()).toBe(Date.now() - s(41));
    expect(g.isUp(afterJoin)).toBe(true);
    expect(seen.every((up) => up)).toBe(true);
    // then every interval from that first report: 10, 20, 30, 40 s after joining
    expect(m.serviceRef!.reportCount).toBe(6);
  });

  it('waits the usual delay when the record of a quick restart is still fresh', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 10, serviceDownTime: 60 });
    const m = await member(store);
    await store.reportState(m.serviceRef!.id);
    await jest.advanceTimersByTimeAsync(s(50)); // 50 s + the 5 s delay is still within 60 s
    m.serviceRef = (await store.getByHostAndBinary('h1', 'cinder-volume'))!;

    await g.join(m);
    const afterJoin = m.serviceRef.reportCount;
    await jest.advanceTimersByTimeAsync(s(5));
    const at5 = m.serviceRef.reportCount;
    await g.leave(m);

    expect([afterJoin, at5]).toEqual([1, 2]);
  });

  it('reports at once when the start took longer than service_down_time after creating the record', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 1, serviceDownTime: 3 });
    const m = await member(store);
    await jest.advanceTimersByTimeAsync(s(2.5)); // pre_start_hook (a first resource audit, say)

    await g.join(m);
    const afterJoin = m.serviceRef!.reportCount;
    await g.leave(m);

    expect(afterJoin).toBe(1);
  });

  it('starts no heartbeats when the member left while the first report was on its way', async () => {
    const store = new InMemoryServiceRecordStore();
    const g = new ServiceGroup(store, { reportInterval: 1, serviceDownTime: 3 });
    const m = await member(store);
    await jest.advanceTimersByTimeAsync(s(10));
    const real = store.reportState.bind(store);
    let leaving: Promise<void> | undefined;
    jest.spyOn(store, 'reportState').mockImplementation(async (id) => {
      leaving ??= g.leave(m);
      return real(id);
    });

    await g.join(m);
    await leaving;
    await jest.advanceTimersByTimeAsync(s(10));

    expect(m.serviceRef!.reportCount).toBe(1);
    expect(store.reportState).toHaveBeenCalledTimes(1);
  });
});
