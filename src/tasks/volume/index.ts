/** The create-volume API flow's tasks (DESIGN.md §3), their storage values, ports and domain errors. */
export * from './errors';
export * from './types';
export { InjectTask, StoreInjectTask } from './inject';
export { ExtractRequestTask, type ExtractRequestIn, type ExtractRequestOut } from './extract-request';
export {
  QuotaReserveTask,
  translateOverQuota,
  reservePerType,
  type QuotaReserveIn,
  type QuotaReserveOut,
} from './quota-reserve';
export { EntryCreateTask, nowWithMicros, type EntryCreateIn, type EntryCreateOut } from './entry-create';
export { QuotaCommitTask, type QuotaCommitIn, type QuotaCommitOut } from './quota-commit';
export { OnFailureTask, type OnFailureIn, type OnFailureOut, type OnFailureLogger } from './on-failure';
export {
  CastTask,
  rpcContextOf,
  type CastIn,
  type VolumeScheduler,
  type VolumeRpcContext,
  type ScheduleCreateVolumeArgs,
} from './cast';
export {
  ExtendQuotaReserveTask,
  ExtendBeginTask,
  ExtendCastTask,
  type ExtendTarget,
  type VolumeStatusSwitch,
  type VolumeExtendCaster,
} from './extend';
