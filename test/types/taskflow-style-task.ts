/** STYLE.md §3 shape: requires/provides as readonly class fields, revert on the tagged outcome. */
import { Engine, LinearFlow, Task, type RevertArgs } from '../../src/taskflow';

interface QuotaRepository {
  reserve(projectId: string, sizeGb: number): Promise<string>;
  release(id: string): Promise<void>;
}
interface QuotaReserveIn {
  projectId: string;
  sizeGb: number;
}
interface QuotaReserveOut {
  reservationId: string;
}
export class QuotaReserveTask extends Task<QuotaReserveIn, QuotaReserveOut> {
  override readonly requires = ['projectId', 'sizeGb'] as const;
  override readonly provides = ['reservationId'] as const;
  constructor(private readonly quotas: QuotaRepository) {
    super('volume.reserve-quota');
  }
  async execute({ projectId, sizeGb }: QuotaReserveIn): Promise<QuotaReserveOut> {
    return { reservationId: await this.quotas.reserve(projectId, sizeGb) };
  }
  override async revert({ outcome }: RevertArgs<QuotaReserveIn, QuotaReserveOut>): Promise<void> {
    if (outcome.status !== 'success') return;
    await this.quotas.release(outcome.value.reservationId);
  }
}
declare const repo: QuotaRepository;
const flow = new LinearFlow<{ projectId: string; sizeGb: number }>('volume:create').add(
  new QuotaReserveTask(repo),
);
new Engine(flow, { store: { projectId: 'p', sizeGb: 1 } });
