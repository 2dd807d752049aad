import { NotFound } from '../errors';
import type { PersistenceBackend } from './backend';
import { cloneDetail, type AtomDetail, type FlowDetail, type LogBook } from './models';

/** In-memory {@link PersistenceBackend} (stores JSON copies; for tests and embedded single-process use). */
export class MemoryBackend implements PersistenceBackend {
  private readonly books = new Map<string, Omit<LogBook, 'flowDetails'> & { flows: string[] }>();
  private readonly flows = new Map<
    string,
    Omit<FlowDetail, 'atomDetails'> & { book: string; atoms: string[] }
  >();
  private readonly atoms = new Map<string, AtomDetail & { flow: string }>();
  /** Number of write calls so far (handy in tests and benchmarks). */
  writes = 0;

  async saveLogBook(book: LogBook): Promise<void> {
    this.writes++;
    const b = cloneDetail(book);
    const prev = this.books.get(b.uuid);
    this.books.set(b.uuid, {
      uuid: b.uuid,
      name: b.name,
      createdAt: prev?.createdAt ?? b.createdAt,
      updatedAt: b.updatedAt,
      meta: b.meta ?? {},
      flows: prev?.flows ?? [],
    });
    for (const fd of b.flowDetails ?? []) this.putFlow(b.uuid, fd);
  }

  async getLogBook(uuid: string): Promise<LogBook> {
    const b = this.books.get(uuid);
    if (!b) throw new NotFound(`no logbook '${uuid}'`);
    const { flows, ...rest } = b;
    return cloneDetail({ ...rest, flowDetails: flows.map((f) => this.readFlow(f)) });
  }

  async listLogBooks(): Promise<LogBook[]> {
    return Promise.all([...this.books.keys()].map((u) => this.getLogBook(u)));
  }

  async destroyLogBook(uuid: string): Promise<void> {
    this.writes++;
    const b = this.books.get(uuid);
    if (!b) throw new NotFound(`no logbook '${uuid}'`);
    for (const f of b.flows) {
      for (const a of this.flows.get(f)?.atoms ?? []) this.atoms.delete(a);
      this.flows.delete(f);
    }
    this.books.delete(uuid);
  }

  async saveFlowDetail(bookUuid: string, flowDetail: FlowDetail): Promise<void> {
    this.writes++;
    if (!this.books.has(bookUuid)) throw new NotFound(`no logbook '${bookUuid}'`);
    this.putFlow(bookUuid, cloneDetail(flowDetail));
  }

  async getFlowDetail(uuid: string): Promise<FlowDetail> {
    if (!this.flows.has(uuid)) throw new NotFound(`no flow detail '${uuid}'`);
    return cloneDetail(this.readFlow(uuid));
  }

  async findFlowDetails(filter: { states?: readonly string[] } = {}): Promise<FlowDetail[]> {
    const out: FlowDetail[] = [];
    for (const [u, f] of this.flows)
      if (!filter.states || filter.states.includes(f.state)) out.push(cloneDetail(this.readFlow(u)));
    return out;
  }

  async saveAtomDetail(flowUuid: string, atomDetail: AtomDetail): Promise<void> {
    this.writes++;
    const f = this.flows.get(flowUuid);
    if (!f) throw new NotFound(`no flow detail '${flowUuid}'`);
    this.putAtom(f, flowUuid, cloneDetail(atomDetail));
  }

  async getAtomDetail(uuid: string): Promise<AtomDetail> {
    const a = this.atoms.get(uuid);
    if (!a) throw new NotFound(`no atom detail '${uuid}'`);
    const { flow: _f, ...rest } = a;
    return cloneDetail(rest);
  }

  async close(): Promise<void> {
    /* nothing to release */
  }

  private putFlow(book: string, fd: FlowDetail): void {
    const prev = this.flows.get(fd.uuid);
    const entry = {
      uuid: fd.uuid,
      name: fd.name,
      state: fd.state,
      meta: fd.meta ?? {},
      book,
      atoms: prev?.atoms ?? [],
    };
    this.flows.set(fd.uuid, entry);
    const b = this.books.get(book)!;
    if (!b.flows.includes(fd.uuid)) b.flows.push(fd.uuid);
    for (const ad of fd.atomDetails ?? []) this.putAtom(entry, fd.uuid, ad);
  }

  private putAtom(f: { atoms: string[] }, flowUuid: string, ad: AtomDetail): void {
    if (!this.atoms.has(ad.uuid)) f.atoms.push(ad.uuid);
    this.atoms.set(ad.uuid, { ...ad, flow: flowUuid });
  }

  private readFlow(uuid: string): FlowDetail {
    const f = this.flows.get(uuid)!;
    const { book: _b, atoms, ...rest } = f;
    return {
      ...rest,
      atomDetails: atoms.map((a) => {
        const { flow: _f, ...ad } = this.atoms.get(a)!;
        return ad;
      }),
    };
  }
}
