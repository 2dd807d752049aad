import type { AtomDetail, FlowDetail, LogBook } from './models';

/**
 * Where engines write every state transition. All methods are async; values passed in and returned are plain JSON
 * (callers may mutate what they get back without affecting the store, and vice versa).
 *
 * Contract (checked by `test/contracts/persistence-backend.contract.ts`):
 * - `saveLogBook` upserts the book's own fields (name, meta, timestamps) and merges (upserts) the flow details it
 *   contains (and their atom details); flow details not listed are kept.
 * - `saveFlowDetail(bookUuid, fd)` upserts the flow detail's own fields (name, state, meta) under that book and
 *   upserts each atom detail it contains; atom details not listed are kept. The book must exist, else `NotFound`.
 * - `saveAtomDetail(flowUuid, ad)` upserts one atom detail of an existing flow detail (else `NotFound`).
 * - `get*` return full copies (a book with all its flow details and their atom details; atom details in insertion
 *   order) or reject with `NotFound`.
 * - `destroyLogBook` removes a book with its flow and atom details (`NotFound` when absent).
 * - `findFlowDetails(filter)` lists flow details (with atom details) in any book, optionally by state.
 */
export interface PersistenceBackend {
  saveLogBook(book: LogBook): Promise<void>;
  getLogBook(uuid: string): Promise<LogBook>;
  listLogBooks(): Promise<LogBook[]>;
  destroyLogBook(uuid: string): Promise<void>;
  saveFlowDetail(bookUuid: string, flowDetail: FlowDetail): Promise<void>;
  getFlowDetail(uuid: string): Promise<FlowDetail>;
  findFlowDetails(filter?: { states?: readonly string[] }): Promise<FlowDetail[]>;
  saveAtomDetail(flowUuid: string, atomDetail: AtomDetail): Promise<void>;
  getAtomDetail(uuid: string): Promise<AtomDetail>;
  /** Releases resources; further calls may fail. */
  close(): Promise<void>;
}
