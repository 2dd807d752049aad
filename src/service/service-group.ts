/**
 * Service group membership by database heartbeats (Nova servicegroup DbDriver):
 * a joined service bumps `report_count` / `updated_at` of its record every `reportInterval`
 * seconds; a service is up while its last heartbeat (its record's creation before the first one)
 * is at most `serviceDownTime` seconds old.
 *
 * The first heartbeat: Nova sends it {@link INITIAL_REPORTING_DELAY} (5) seconds after joining,
 * whatever the interval, and counts the record's `created_at` as the heartbeat before it. That
 * leaves two windows in which a service that is running shows down: with a short
 * `serviceDownTime` (under 5 s) a new record goes stale before the first report, and a restarted
 * service keeps the stale `updated_at` of its previous run until then. So here the first report
 * comes after min(5 s, reportInterval) — never later than the interval promises, and since
 * `serviceDownTime` is always above the interval a new record cannot go stale first — and a member
 * whose record would be seen down before that reports at once when it joins.
 *
 * If `serviceDownTime` is not larger than `reportInterval` it is raised to 2.5 × the interval with
 * a warning (a service would otherwise flap). A failing heartbeat marks the service "model
 * disconnected" and is logged once; the first heartbeat that succeeds again logs the recovery once.
 */
import { nullLogger, type Logger } from '../rpc/logger';
import { FixedIntervalLoopingCall } from './looping-call';
import type { ServiceRecord, ServiceRecordStore } from './service-record-store';

/** Seconds between joining and the first heartbeat (Nova INITIAL_REPORTING_DELAY). */
export const INITIAL_REPORTING_DELAY = 5;
/** @see ServiceGroupOptions.reportInterval */
export const DEFAULT_REPORT_INTERVAL = 10;
/** @see ServiceGroupOptions.serviceDownTime */
export const DEFAULT_SERVICE_DOWN_TIME = 60;

export interface ServiceGroupOptions {
  /** Seconds between heartbeats; 0 disables them. @default 10 */
  readonly reportInterval?: number;
  /** Seconds without a heartbeat after which a service is down. @default 60 */
  readonly serviceDownTime?: number;
  readonly logger?: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** What the group needs from a service to keep it reported. */
export interface ServiceGroupMember {
  readonly host: string;
  readonly binary: string;
  readonly topic: string;
  /** The service's record; replaced by the fresh one after each heartbeat. */
  serviceRef: ServiceRecord | undefined;
  /** True after a failed heartbeat until one succeeds. */
  modelDisconnected: boolean;
}

/** The effective down time for a configuration (Nova servicegroup.API). */
export function effectiveServiceDownTime(reportInterval: number, serviceDownTime: number): number {
  return serviceDownTime <= reportInterval ? Math.trunc(reportInterval * 2.5) : serviceDownTime;
}

/** Whether a record's last heartbeat (or its creation) is recent enough; forced-down services are down. */
export function isServiceUp(
  record: Pick<ServiceRecord, 'updatedAt' | 'createdAt' | 'forcedDown'>,
  serviceDownTime: number,
  now: Date,
): boolean {
  if (record.forcedDown) return false;
  const last = record.updatedAt ?? record.createdAt;
  const elapsed = Math.abs(now.getTime() - new Date(last).getTime()) / 1000;
  return elapsed <= serviceDownTime;
}

export class ServiceGroup {
  readonly reportInterval: number;
  readonly serviceDownTime: number;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly timers = new Map<ServiceGroupMember, FixedIntervalLoopingCall>();

  constructor(
    private readonly store: ServiceRecordStore,
    options: ServiceGroupOptions = {},
  ) {
    const reportInterval = options.reportInterval ?? DEFAULT_REPORT_INTERVAL;
    const serviceDownTime = options.serviceDownTime ?? DEFAULT_SERVICE_DOWN_TIME;
    if (!Number.isFinite(reportInterval) || reportInterval < 0) {
      throw new RangeError(
        `reportInterval must be a non-negative number of seconds, got ${String(reportInterval)}`,
      );
    }
    if (!Number.isFinite(serviceDownTime) || serviceDownTime <= 0) {
      throw new RangeError(
        `serviceDownTime must be a positive number of seconds, got ${String(serviceDownTime)}`,
      );
    }
    this.log = (options.logger ?? nullLogger).child({ component: 'servicegroup' });
    this.now = options.now ?? (() => new Date());
    this.reportInterval = reportInterval;
    this.serviceDownTime = effectiveServiceDownTime(reportInterval, serviceDownTime);
    if (this.serviceDownTime !== serviceDownTime) {
      this.log.warn('report interval must be less than service down time; raising service down time', {
        serviceDownTime,
        reportInterval,
        newServiceDownTime: this.serviceDownTime,
      });
    }
  }

  /** Seconds from joining to the first heartbeat: min(INITIAL_REPORTING_DELAY, reportInterval). */
  get firstReportDelay(): number {
    return Math.min(INITIAL_REPORTING_DELAY, this.reportInterval);
  }

  /**
   * Start heartbeats for `member` (none when reportInterval is 0). Joining twice is an error.
   * Resolves once heartbeats are scheduled — after a first heartbeat sent at once when the member's
   * record would otherwise be seen down before the first timed one (a restart after a long stop,
   * or a start that took longer than serviceDownTime).
   */
  async join(member: ServiceGroupMember): Promise<void> {
    if (this.timers.has(member))
      throw new Error(`${member.binary} on ${member.host} already joined the service group`);
    this.log.debug('joining service group', {
      host: member.host,
      binary: member.binary,
      topic: member.topic,
    });
    if (this.reportInterval === 0) return;
    const timer = new FixedIntervalLoopingCall(() => this.reportState(member), {
      name: `report-state:${member.binary}`,
      logger: this.log,
    });
    this.timers.set(member, timer);
    let initialDelay = this.firstReportDelay;
    if (this.wouldBeDownBeforeFirstReport(member)) {
      this.log.debug(
        'reporting service state at once: its record would be seen down before the first heartbeat',
        { host: member.host, binary: member.binary },
      );
      await this.reportState(member);
      initialDelay = this.reportInterval;
    }
    if (this.timers.get(member) !== timer) return; // left while the first report was on its way
    void timer.start(this.reportInterval, { initialDelay, stopOnException: false });
  }

  /** Stop heartbeats for `member`, waiting for one in progress. */
  async leave(member: ServiceGroupMember): Promise<void> {
    const timer = this.timers.get(member);
    if (timer === undefined) return;
    this.timers.delete(member);
    timer.stop();
    await timer.wait().catch(() => undefined);
  }

  /** One heartbeat. Never throws: failures flip `modelDisconnected` and are logged once. */
  async reportState(member: ServiceGroupMember): Promise<void> {
    try {
      if (member.serviceRef === undefined) throw new Error('the service has no service record yet');
      member.serviceRef = await this.store.reportState(member.serviceRef.id);
      if (member.modelDisconnected) {
        member.modelDisconnected = false;
        this.log.info('recovered model connection: reporting service state again', {
          host: member.host,
          binary: member.binary,
        });
      }
    } catch (err) {
      if (!member.modelDisconnected) {
        member.modelDisconnected = true;
        this.log.error('model disconnected: unable to report service state', {
          host: member.host,
          binary: member.binary,
          err,
        });
      }
    }
  }

  /** Whether the member's record, as it stands, goes stale before the first timed heartbeat. */
  private wouldBeDownBeforeFirstReport(member: ServiceGroupMember): boolean {
    const ref = member.serviceRef;
    if (ref === undefined) return false; // nothing to report on: the first heartbeat logs the failure
    const last = new Date(ref.updatedAt ?? ref.createdAt).getTime();
    const firstReportAt = this.now().getTime() + this.firstReportDelay * 1000;
    return (firstReportAt - last) / 1000 > this.serviceDownTime;
  }

  isUp(record: Pick<ServiceRecord, 'updatedAt' | 'createdAt' | 'forcedDown'>): boolean {
    return isServiceUp(record, this.serviceDownTime, this.now());
  }

  /** Live records with their up/down state (for os-services). */
  async listWithState(
    filter?: Parameters<ServiceRecordStore['list']>[0],
  ): Promise<Array<ServiceRecord & { up: boolean }>> {
    const rows = await this.store.list(filter);
    return rows.map((r) => ({ ...r, up: this.isUp(r) }));
  }
}
