export * from './errors';
export * from './resources';
export { QuotaEngine } from './quota-engine';
export type {
  QuotaContext,
  QuotaEngineOptions,
  QuotaUsageView,
  ReserveOptions,
  SettleOptions,
} from './quota-engine';
export { quotaSql } from './quota-sql';
export { runUsageAudit } from './usage-audit';
export type { UsageAuditOptions, UsageAuditReport, UsageDrift } from './usage-audit';
