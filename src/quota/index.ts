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
export type {
  ReservationIssue,
  ReservedDrift,
  UsageAuditOptions,
  UsageAuditReport,
  UsageDrift,
} from './usage-audit';
export { createMissingUsageRows } from './usage-rows';
