import { Task } from '../../taskflow';

/**
 * Puts the request spec into flow storage: it provides every key of the spec it is given (Cinder injects
 * the same values as the flow's store). Values must be JSON-safe.
 *
 * Reversion strategy: none; it changes nothing outside storage.
 */
export class InjectTask<Spec extends Record<string, unknown>> extends Task<
  Record<string, never>,
  Spec,
  Spec
> {
  constructor(
    private readonly spec: Spec,
    name = 'volume:create.inject',
  ) {
    super(name, { provides: Object.keys(spec) });
  }

  execute(): Spec {
    return { ...this.spec };
  }
}

/**
 * InjectTask for a flow built once and run many times: the spec is not the task's (a task shared by
 * concurrent runs keeps no state of a run) but the run's, read from the engine's store under `key`; the
 * task provides its `names` as InjectTask provides the keys of its spec. The spec goes into the store
 * whole, under a name no task provides, because a store value would win over the values later tasks
 * provide under the same names (ExtractRequest's `size`, `availability_zone`, `volume_type` …).
 *
 * Reversion strategy: none; it changes nothing outside storage.
 */
export class StoreInjectTask<Key extends string, Spec extends Record<string, unknown>> extends Task<
  Record<Key, Spec>,
  Spec,
  Spec
> {
  constructor(
    private readonly key: Key,
    names: Readonly<Record<keyof Spec & string, true>>,
    name = 'volume:create.inject',
  ) {
    super(name, { requires: [key], provides: Object.keys(names) });
  }

  execute(args: Record<Key, Spec>): Spec {
    return { ...args[this.key] };
  }
}
