/**
 * Contract every {@link PersistenceBackend} must pass (memory, SQLite, MySQL…). Use from a test file:
 *
 *   persistenceBackendContract('MemoryBackend', async () => new MemoryBackend());
 *   persistenceBackendContract('TypeOrmBackend (MariaDB)', () => makeDbBackend(), (b) => b.close());
 *
 * It checks storage semantics (upsert/merge, copies, NotFound, cascade delete, filters) and, end to end, that an
 * engine writes every transition through the backend and resumes from what it stored.
 */
import {
  Engine,
  Failure,
  LinearFlow,
  NotFound,
  Task,
  type AtomDetail,
  type FlowDetail,
  type LogBook,
  type PersistenceBackend,
} from '../../src/taskflow';

function book(name: string, uuid = `lb-${name}-${Math.random().toString(36).slice(2)}`): LogBook {
  const now = new Date().toISOString();
  return { uuid, name, createdAt: now, updatedAt: now, meta: { owner: 'contract' }, flowDetails: [] };
}
function flow(name: string, atomDetails: AtomDetail[] = []): FlowDetail {
  return {
    uuid: `fd-${name}-${Math.random().toString(36).slice(2)}`,
    name,
    state: 'PENDING',
    meta: { store: { a: 1 } },
    atomDetails,
  };
}
function atom(name: string, extra: Partial<AtomDetail> = {}): AtomDetail {
  return {
    uuid: `ad-${name}-${Math.random().toString(36).slice(2)}`,
    name,
    kind: 'task',
    state: 'PENDING',
    intention: 'EXECUTE',
    meta: {},
    ...extra,
  };
}

/** Registers the contract's tests for one backend implementation. */
export function persistenceBackendContract<B extends PersistenceBackend>(
  name: string,
  makeBackend: () => Promise<B>,
  teardown?: (backend: B) => Promise<void>,
): void {
  describe(`persistence backend contract: ${name}`, () => {
    let backend: B;
    beforeEach(async () => {
      backend = await makeBackend();
    });
    afterEach(async () => {
      if (teardown) await teardown(backend);
      else await backend.close();
    });

    it('saves and reads back a logbook with its flow and atom details', async () => {
      const lb = book('one');
      lb.flowDetails.push(
        flow('f', [atom('a', { state: 'SUCCESS', results: { x: [1, 'two', { three: 3 }] } }), atom('b')]),
      );

      await backend.saveLogBook(lb);
      const got = await backend.getLogBook(lb.uuid);

      expect(got).toEqual(lb);
      expect(got.flowDetails[0]!.atomDetails.map((a) => a.name)).toEqual(['a', 'b']);
    });

    it('returns copies: mutating what was saved or read does not change the store', async () => {
      const lb = book('copies');
      const fd = flow('f', [atom('a')]);
      lb.flowDetails.push(fd);
      await backend.saveLogBook(lb);

      fd.atomDetails[0]!.state = 'FAILURE';
      const read = await backend.getFlowDetail(fd.uuid);
      read.atomDetails[0]!.state = 'REVERTED';

      expect((await backend.getFlowDetail(fd.uuid)).atomDetails[0]!.state).toBe('PENDING');
    });

    it('saveFlowDetail upserts the flow fields and merges atom details', async () => {
      const lb = book('merge');
      await backend.saveLogBook(lb);
      const fd = flow('f', [atom('a'), atom('b')]);
      await backend.saveFlowDetail(lb.uuid, fd);

      await backend.saveFlowDetail(lb.uuid, {
        ...fd,
        state: 'RUNNING',
        meta: { store: { a: 2 } },
        atomDetails: [{ ...fd.atomDetails[1]!, state: 'RUNNING' }],
      });
      const got = await backend.getFlowDetail(fd.uuid);

      expect(got.state).toBe('RUNNING');
      expect(got.meta).toEqual({ store: { a: 2 } });
      expect(got.atomDetails.map((a) => [a.name, a.state])).toEqual([
        ['a', 'PENDING'],
        ['b', 'RUNNING'],
      ]);
      expect((await backend.getLogBook(lb.uuid)).flowDetails.map((f) => f.uuid)).toEqual([fd.uuid]);
    });

    it('saveAtomDetail upserts one atom, keeping failures and results as JSON', async () => {
      const lb = book('atoms');
      const fd = flow('f', [atom('a')]);
      lb.flowDetails.push(fd);
      await backend.saveLogBook(lb);
      const failure = Failure.fromError(new TypeError('bad', { cause: new RangeError('root') })).toJSON();

      await backend.saveAtomDetail(fd.uuid, {
        ...fd.atomDetails[0]!,
        state: 'FAILURE',
        failure,
        meta: { progress: 0.5 },
      });
      await backend.saveAtomDetail(fd.uuid, atom('c', { state: 'SUCCESS', results: 'r' }));
      const got = await backend.getFlowDetail(fd.uuid);

      expect(got.atomDetails.map((a) => a.name)).toEqual(['a', 'c']);
      const a = await backend.getAtomDetail(fd.atomDetails[0]!.uuid);
      expect(a.state).toBe('FAILURE');
      expect(a.meta).toEqual({ progress: 0.5 });
      const back = Failure.fromJSON(a.failure!);
      expect(back.check('TypeError')).toBe('TypeError');
      expect(back.message).toBe('bad');
      expect(back.cause?.exceptionType).toBe('RangeError');
    });

    it('keeps null/undefined-free details and round-trips retry histories', async () => {
      const lb = book('retry');
      const fd = flow('f', [
        atom('r', {
          kind: 'retry',
          state: 'SUCCESS',
          results: [{ result: 1, failures: { t: Failure.fromError(new Error('x')).toJSON() } }],
        }),
      ]);
      lb.flowDetails.push(fd);

      await backend.saveLogBook(lb);
      const got = await backend.getAtomDetail(fd.atomDetails[0]!.uuid);

      expect(got.kind).toBe('retry');
      expect(got.results).toEqual(fd.atomDetails[0]!.results);
    });

    it('rejects with NotFound for unknown logbooks, flow details and atom details', async () => {
      await expect(backend.getLogBook('nope')).rejects.toBeInstanceOf(NotFound);
      await expect(backend.getFlowDetail('nope')).rejects.toBeInstanceOf(NotFound);
      await expect(backend.getAtomDetail('nope')).rejects.toBeInstanceOf(NotFound);
      await expect(backend.destroyLogBook('nope')).rejects.toBeInstanceOf(NotFound);
      await expect(backend.saveFlowDetail('nope', flow('f'))).rejects.toBeInstanceOf(NotFound);
      await expect(backend.saveAtomDetail('nope', atom('a'))).rejects.toBeInstanceOf(NotFound);
    });

    it('destroyLogBook removes the book with its flow and atom details', async () => {
      const lb = book('gone');
      const fd = flow('f', [atom('a')]);
      lb.flowDetails.push(fd);
      const keep = book('kept');
      await backend.saveLogBook(lb);
      await backend.saveLogBook(keep);

      await backend.destroyLogBook(lb.uuid);

      await expect(backend.getLogBook(lb.uuid)).rejects.toBeInstanceOf(NotFound);
      await expect(backend.getFlowDetail(fd.uuid)).rejects.toBeInstanceOf(NotFound);
      await expect(backend.getAtomDetail(fd.atomDetails[0]!.uuid)).rejects.toBeInstanceOf(NotFound);
      expect((await backend.listLogBooks()).map((b) => b.uuid)).toContain(keep.uuid);
    });

    it('findFlowDetails filters by state across books', async () => {
      const lb1 = book('s1');
      const lb2 = book('s2');
      const running = { ...flow('r'), state: 'RUNNING' as const };
      const done = { ...flow('d'), state: 'SUCCESS' as const };
      lb1.flowDetails.push(running);
      lb2.flowDetails.push(done);
      await backend.saveLogBook(lb1);
      await backend.saveLogBook(lb2);

      const found = await backend.findFlowDetails({ states: ['RUNNING', 'REVERTING'] });

      expect(found.map((f) => f.uuid)).toContain(running.uuid);
      expect(found.map((f) => f.uuid)).not.toContain(done.uuid);
    });

    it('an engine persists every transition and a new engine resumes from the stored flow detail', async () => {
      const calls: string[] = [];
      class Step extends Task<Record<string, unknown>, unknown> {
        constructor(name: string, o: { requires?: string[]; provides?: string }) {
          super(name, o);
        }
        execute(args: Record<string, unknown>): unknown {
          calls.push(this.name);
          return { from: this.name, args };
        }
      }
      const build = () =>
        new LinearFlow('contract-resume').add(
          new Step('a', { requires: ['seed'], provides: 'ra' }),
          new Step('b', { requires: ['ra'], provides: 'rb' }),
          new Step('c', { requires: ['rb'], provides: 'rc' }),
        );
      const first = new Engine(build(), { store: { seed: 7 }, backend });
      first.atomNotifier.register('SUCCESS', (e) => {
        if ('atomName' in e && e.atomName === 'a') first.suspend();
      });
      await first.run();
      expect(first.state).toBe('SUSPENDED');

      const stored = JSON.parse(JSON.stringify(await backend.getFlowDetail(first.uuid))) as FlowDetail;
      expect(stored.state).toBe('SUSPENDED');
      expect(Object.fromEntries(stored.atomDetails.map((a) => [a.name, a.state]))).toEqual({
        a: 'SUCCESS',
        b: 'PENDING',
        c: 'PENDING',
      });

      const second = new Engine(build(), { backend, flowDetail: stored });
      await second.run();

      expect(calls).toEqual(['a', 'b', 'c']);
      expect(second.storage.fetch('rb')).toEqual({
        from: 'b',
        args: { ra: { from: 'a', args: { seed: 7 } } },
      });
      const final = await backend.getFlowDetail(first.uuid);
      expect(final.state).toBe('SUCCESS');
      expect(final.atomDetails.every((a) => a.state === 'SUCCESS')).toBe(true);
    });
  });
}
