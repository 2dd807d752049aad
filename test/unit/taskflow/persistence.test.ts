import {
  Engine,
  LinearFlow,
  MemoryBackend,
  StorageFailure,
  Times,
  task,
  type AtomDetail,
  type FlowDetail,
  type PersistenceBackend,
} from '../../../src/taskflow';

/** Records every atom detail state written, as 'name STATE'. */
class RecordingBackend extends MemoryBackend {
  readonly written: string[] = [];
  private last = new Map<string, string>();
  override async saveAtomDetail(flowUuid: string, ad: AtomDetail): Promise<void> {
    // intention-only updates (same state) are written too; record state changes
    if (this.last.get(ad.name) !== ad.state) this.written.push(`${ad.name} ${ad.state}`);
    this.last.set(ad.name, ad.state);
    await super.saveAtomDetail(flowUuid, ad);
  }
}

const roundTrip = (fd: FlowDetail): FlowDetail => JSON.parse(JSON.stringify(fd)) as FlowDetail;

describe.each(['serial', 'parallel'] as const)('persistence and resumption (%s)', (executor) => {
  it('writes every atom transition to the backend before the next step', async () => {
    const backend = new RecordingBackend();
    const flow = new LinearFlow('f').add(
      task('a', () => 1, { provides: 'x' }),
      task('b', () => {
        throw new Error('no');
      }),
    );
    const engine = new Engine(flow, { backend, executor });

    await expect(engine.run()).rejects.toThrow('no');

    expect(backend.written).toEqual([
      'a RUNNING',
      'a SUCCESS',
      'b RUNNING',
      'b FAILURE',
      'b REVERTING',
      'b REVERTED',
      'a REVERTING',
      'a REVERTED',
    ]);
    const stored = await backend.getFlowDetail(engine.uuid);
    expect(stored.state).toBe('REVERTED');
    expect(stored.atomDetails.find((a) => a.name === 'b')!.failure!.message).toBe('no');
  });

  it('re-runs an atom left RUNNING by a crash, and does not re-run finished ones', async () => {
    const backend = new MemoryBackend();
    const calls: string[] = [];
    const build = (hang: boolean) =>
      new LinearFlow('crash').add(
        task('a', () => (calls.push('a'), 'A'), { provides: 'ra' }),
        task(
          'b',
          ({ ra }: { ra: string }) => (
            calls.push('b'),
            hang ? new Promise<string>(() => undefined) : ra + 'B'
          ),
          { requires: ['ra'], provides: 'rb' },
        ),
      );
    const crashed = new Engine(build(true), { backend, executor });
    void crashed.run();
    await new Promise((r) => setTimeout(r, 20));
    const snapshot = roundTrip(await backend.getFlowDetail(crashed.uuid));
    expect(snapshot.atomDetails.map((a) => `${a.name} ${a.state}`)).toEqual(['a SUCCESS', 'b RUNNING']);

    const resumed = new Engine(build(false), { backend, flowDetail: snapshot, executor });
    await resumed.run();

    expect(calls).toEqual(['a', 'b', 'b']);
    expect(resumed.storage.fetch('rb')).toBe('AB');
    expect((await backend.getFlowDetail(crashed.uuid)).state).toBe('SUCCESS');
  });

  it('resumes a retry with its history', async () => {
    const backend: PersistenceBackend = new MemoryBackend();
    let attempts = 0;
    const build = () =>
      new LinearFlow<{}, { n: number }>('r', new Times(3, { name: 'times', provides: 'n' })).add(
        task(
          't',
          ({ n }: { n: number }) => {
            attempts++;
            if (n < 3) throw new Error('again');
            return n;
          },
          { requires: ['n'], provides: 'out' },
        ),
      );
    const first = new Engine(build(), { backend, executor });
    first.atomNotifier.register('RETRYING', () => first.suspend());
    await first.run();
    expect(first.state).toBe('SUSPENDED');

    const fd = roundTrip(await backend.getFlowDetail(first.uuid));
    const second = new Engine(build(), { backend, flowDetail: fd, executor });
    await second.run();

    expect(second.storage.fetch('out')).toBe(3);
    expect(second.storage.getRetryHistory('times').length).toBe(3);
    expect(attempts).toBe(3);
  });

  it('keeps state in memory only when no backend is given', async () => {
    const engine = new Engine(new LinearFlow('m').add(task('a', () => 1, { provides: 'x' })), { executor });

    await engine.run();

    expect(engine.logBookUuid).toBeUndefined();
    expect(engine.toFlowDetail().atomDetails.map((a) => [a.name, a.state, a.results])).toEqual([
      ['a', 'SUCCESS', 1],
    ]);
  });
});

describe('persistence failures', () => {
  it('stops starting atoms when a write fails and rejects with StorageFailure', async () => {
    class Flaky extends MemoryBackend {
      override async saveAtomDetail(flowUuid: string, ad: AtomDetail): Promise<void> {
        if (ad.name === 'b' && ad.state === 'RUNNING') throw new Error('disk full');
        await super.saveAtomDetail(flowUuid, ad);
      }
    }
    const ran: string[] = [];
    const flow = new LinearFlow('f').add(
      task('a', () => void ran.push('a')),
      task('b', () => void ran.push('b')),
      task('c', () => void ran.push('c')),
    );
    const engine = new Engine(flow, { backend: new Flaky() });

    const err = await engine.run().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StorageFailure);
    expect((err as StorageFailure).cause).toMatchObject({ message: 'disk full' });
    expect(ran).toEqual(['a']);
    expect(engine.state).toBe('FAILURE');
  });
});
