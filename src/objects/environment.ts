/**
 * Where a persistent object's methods run: with direct database access (conductor, api, volume,
 * scheduler) or, in compute, with the database blocked and remotable methods sent to the
 * conductor (the indirection API). Objects carry their environment explicitly, so one process can
 * host a compute service and a conductor side by side (the embedded default).
 */
import type { DataSource } from 'typeorm';
import type { RequestContext } from '../rpc/context';
import { DBNotAllowed } from './errors';
import type { PersistentObject } from './base';

/** What the conductor returns for an object method: the result and the fields it changed. */
export interface ObjectActionReply {
  readonly updates: Record<string, unknown>;
  /** Field names still changed on the conductor's copy after the method ran. */
  readonly whatChanged: readonly string[];
  readonly result: unknown;
}

/** Sends remotable calls to where the database is (Nova's indirection_api, i.e. the conductor). */
export interface ObjectIndirectionApi {
  objectAction(
    ctx: RequestContext,
    obj: PersistentObject,
    method: string,
    args: readonly unknown[],
  ): Promise<ObjectActionReply>;
  objectClassAction(
    ctx: RequestContext,
    objName: string,
    method: string,
    objVersion: string,
    args: readonly unknown[],
  ): Promise<unknown>;
}

export class ObjectEnvironment {
  private indirectionApi: ObjectIndirectionApi | undefined;

  private constructor(
    /** The binary this environment belongs to, for DBNotAllowed. */
    readonly binary: string,
    private readonly db: DataSource | undefined,
  ) {}

  /** Methods run locally against `dataSource`. */
  static direct(binary: string, dataSource: DataSource): ObjectEnvironment {
    return new ObjectEnvironment(binary, dataSource);
  }

  /**
   * No database: every remotable method goes through `indirection` (built from this environment,
   * since its serializer must rebuild objects bound to it); anything else touching the database
   * raises DBNotAllowed.
   */
  static remote(
    binary: string,
    indirection: (env: ObjectEnvironment) => ObjectIndirectionApi,
  ): ObjectEnvironment {
    const env = new ObjectEnvironment(binary, undefined);
    env.indirectionApi = indirection(env);
    return env;
  }

  /** No database and no indirection: any database use raises DBNotAllowed (a process with no conductor). */
  static blocked(binary: string): ObjectEnvironment {
    return new ObjectEnvironment(binary, undefined);
  }

  get indirection(): ObjectIndirectionApi | undefined {
    return this.indirectionApi;
  }

  get dbAllowed(): boolean {
    return this.db !== undefined;
  }

  /** The DataSource, for `caller` (e.g. 'Instance.save'); DBNotAllowed naming the caller when blocked. */
  dataSource(caller: string): DataSource {
    if (this.db === undefined) throw new DBNotAllowed(this.binary, caller);
    return this.db;
  }
}

/**
 * A stand-in DataSource for a process whose database is blocked: touching any of its members
 * raises DBNotAllowed naming the member, so a stray repository call fails loudly, not silently.
 */
export function blockedDataSource(binary: string): DataSource {
  return new Proxy({} as DataSource, {
    get(_target, prop) {
      if (prop === 'then') return undefined; // not a thenable: `await` on it must not trip the guard
      throw new DBNotAllowed(binary, `DataSource.${String(prop)}`);
    },
  });
}
