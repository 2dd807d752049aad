/**
 * The ids a manager of this process is working on right now. Casts arrive at least once (the transport
 * publishes one again when its connection dropped before the confirm), so a second copy that arrives
 * while the first is handled is dropped here; copies in other processes are left to the database's
 * compare-and-set.
 */
export class InFlight {
  private readonly held = new Map<string, symbol>();

  /**
   * Takes `id` for the caller: undefined when someone holds it already, else the release, which frees
   * it only while this holder still holds it (so calling it early, then again in a `finally`, is safe).
   */
  hold(id: string): (() => void) | undefined {
    if (this.held.has(id)) return undefined;
    const token = Symbol(id);
    this.held.set(id, token);
    return () => {
      if (this.held.get(id) === token) this.held.delete(id);
    };
  }
}
