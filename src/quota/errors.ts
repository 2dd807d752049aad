/** Usage of one resource as the quota engine saw it. */
export interface ResourceUsage {
  inUse: number;
  reserved: number;
}

/** Base of the quota engine's domain errors. They carry fields, not just text, and know nothing about HTTP. */
export abstract class QuotaError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A reservation (or a limit check) would take the project over quota. Nothing was reserved.
 * Like Cinder's `OverQuota`: `overs` lists the resources over their limit (sorted), `quotas` the limits
 * of the resources asked for and `usages` the usage rows the decision was taken on, so the API can word
 * `VolumeLimitExceeded` / `VolumeSizeExceedsAvailableQuota`.
 */
export class OverQuotaError extends QuotaError {
  readonly code = 'OVER_QUOTA';
  constructor(
    readonly projectId: string,
    readonly overs: readonly string[],
    readonly quotas: Readonly<Record<string, number>>,
    readonly usages: Readonly<Record<string, ResourceUsage>>,
    readonly requested: Readonly<Record<string, number>> = {},
  ) {
    super(`project ${projectId} is over quota for ${overs.join(', ')}`);
  }
}

/** A resource name the quota engine does not know (Cinder's `QuotaResourceUnknown`). */
export class UnknownQuotaResourceError extends QuotaError {
  readonly code = 'QUOTA_RESOURCE_UNKNOWN';
  constructor(readonly resources: readonly string[]) {
    super(`unknown quota resources: ${resources.join(', ')}`);
  }
}

/** A delta or a limit that is not an integer in range. */
export class InvalidQuotaValueError extends QuotaError {
  readonly code = 'QUOTA_INVALID_VALUE';
  constructor(
    readonly resource: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`quota value for ${resource} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`);
  }
}

/** A new limit is below what the project already uses (in use + reserved); Cinder answers 400 for this. */
export class QuotaLimitBelowUsageError extends QuotaError {
  readonly code = 'QUOTA_LIMIT_BELOW_USAGE';
  constructor(
    readonly resource: string,
    readonly limit: number,
    readonly usage: number,
  ) {
    super(
      `Quota ${resource} limit must be equal or greater than existing resources. ` +
        `Current usage is ${usage} and the requested limit is ${limit}.`,
    );
  }
}

/** The volume type whose per-type resources were asked for does not exist. */
export class QuotaVolumeTypeNotFoundError extends QuotaError {
  readonly code = 'QUOTA_VOLUME_TYPE_NOT_FOUND';
  constructor(readonly volumeTypeId: string) {
    super(`volume type ${volumeTypeId} could not be found`);
  }
}
