import { randomUUID } from 'node:crypto';
import { TypeOrmBackend } from '../../../src/db/flow-persistence';
import { NotFound, type AtomDetail, type LogBook } from '../../../src/taskflow';
import { persistenceBackendContract } from '../../contracts/persistence-backend.contract';
import type { TestDatabase } from '../../helpers/db';

const atom = (name: string, extra: Partial<AtomDetail> = {}): AtomDetail => ({
  uuid: randomUUID(),
  name,
  kind: 'task',
  state: 'PENDING',
  intention: 'EXECUTE',
  meta: {},
  ...extra,
});

const book = (): LogBook => {
  const now = new Date().toISOString();
  return { uuid: randomUUID(), name: 'b', createdAt: now, updatedAt: now, meta: {}, flowDetails: [] };
};

/** The engine's persistence contract plus the TypeORM backend's own behaviour, on one database per file. */
export function typeOrmBackendSuite(label: string, makeDb: () => Promise<TestDatabase>): void {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await makeDb();
  });
  afterAll(async () => {
    await db?.drop();
  });

  persistenceBackendContract(`TypeOrmBackend (${label})`, async () => new TypeOrmBackend(db.dataSource));

  describe(`TypeOrmBackend on ${label}`, () => {
    it('folds concurrent saves into shared transactions, and each save is readable once it resolves', async () => {
      const backend = new TypeOrmBackend(db.dataSource);
      const lb = book();
      const flowUuid = randomUUID();
      lb.flowDetails.push({ uuid: flowUuid, name: 'f', state: 'RUNNING', meta: {}, atomDetails: [] });
      await backend.saveLogBook(lb);
      const before = backend.transactions;
      const atoms = Array.from({ length: 50 }, (_, i) => atom(`a${i}`, { state: 'SUCCESS', results: i }));

      await Promise.all(atoms.map((a) => backend.saveAtomDetail(flowUuid, a)));

      expect(backend.transactions - before).toBeLessThan(5);
      const fd = await backend.getFlowDetail(flowUuid);
      expect(fd.atomDetails.map((a) => a.name)).toEqual(atoms.map((a) => a.name));
      expect(fd.atomDetails.map((a) => a.results)).toEqual(atoms.map((_, i) => i));
      await backend.close();
    });

    it('rejects only the save whose parent is missing when it shares a batch with good ones', async () => {
      const backend = new TypeOrmBackend(db.dataSource);
      const lb = book();
      const flowUuid = randomUUID();
      lb.flowDetails.push({ uuid: flowUuid, name: 'f', state: 'RUNNING', meta: {}, atomDetails: [] });
      await backend.saveLogBook(lb);
      const good = atom('good');

      const results = await Promise.allSettled([
        backend.saveAtomDetail(flowUuid, good),
        backend.saveAtomDetail('no-such-flow', atom('bad')),
      ]);

      expect(results[0]!.status).toBe('fulfilled');
      expect(results[1]!.status === 'rejected' && results[1]!.reason instanceof NotFound).toBe(true);
      await expect(backend.getAtomDetail(good.uuid)).resolves.toMatchObject({ name: 'good' });
      await backend.close();
    });

    it('keeps an explicit null result apart from an absent one, and keeps the position of updated atoms', async () => {
      const backend = new TypeOrmBackend(db.dataSource);
      const lb = book();
      const a = atom('a', { results: null });
      const b = atom('b');
      lb.flowDetails.push({ uuid: randomUUID(), name: 'f', state: 'RUNNING', meta: {}, atomDetails: [a, b] });
      await backend.saveLogBook(lb);

      await backend.saveAtomDetail(lb.flowDetails[0]!.uuid, { ...a, state: 'SUCCESS', results: null });
      const got = await backend.getFlowDetail(lb.flowDetails[0]!.uuid);

      expect(got.atomDetails.map((x) => x.name)).toEqual(['a', 'b']);
      expect(got.atomDetails[0]).toHaveProperty('results', null);
      expect(got.atomDetails[1]).not.toHaveProperty('results');
      await backend.close();
    });

    it('refuses writes after close', async () => {
      const backend = new TypeOrmBackend(db.dataSource);
      await backend.close();

      await expect(backend.saveLogBook(book())).rejects.toThrow(/closed/);
    });
  });
}
