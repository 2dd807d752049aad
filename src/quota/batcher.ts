/**
 * Group commit for one key (a project): operations that arrive while a batch of that key is running
 * wait and then run together as the next batch, so N concurrent callers share one transaction (one
 * round of the project's usage-row lock, one COMMIT) instead of queueing for the lock N times.
 * A caller that finds the key idle starts a batch at once, so a lone caller waits for nothing.
 */
export interface Batch<Op> {
  readonly key: string;
  readonly ops: readonly Op[];
}

export class KeyedBatcher<Op> {
  /** Keys with a batch running → the operations waiting for the next one. */
  private readonly waiting = new Map<string, Op[]>();

  /**
   * @param run runs one batch and settles every operation in it; must not reject (it reports
   *   failures through the operations).
   * @param weight how much of a batch an operation takes (e.g. its statement parameters).
   * @param maxWeight a batch takes operations, in arrival order, while their weights fit (always one).
   * @param start starts the loop that drives a key's batches (lets the caller detach it from the
   *   first operation's async context).
   */
  constructor(
    private readonly run: (batch: Batch<Op>) => Promise<void>,
    private readonly weight: (op: Op) => number,
    private readonly maxWeight: number,
    private readonly start: (drive: () => Promise<void>) => void = (drive) => void drive(),
  ) {}

  add(key: string, op: Op): void {
    const queue = this.waiting.get(key);
    if (queue !== undefined) {
      queue.push(op);
      return;
    }
    this.waiting.set(key, [op]);
    this.start(() => this.drive(key));
  }

  private async drive(key: string): Promise<void> {
    const queue = this.waiting.get(key)!;
    while (queue.length > 0) {
      let taken = 1;
      let total = this.weight(queue[0]!);
      while (taken < queue.length && total + this.weight(queue[taken]!) <= this.maxWeight) {
        total += this.weight(queue[taken]!);
        taken++;
      }
      await this.run({ key, ops: queue.splice(0, taken) });
    }
    this.waiting.delete(key);
  }
}
