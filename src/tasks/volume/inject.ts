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
