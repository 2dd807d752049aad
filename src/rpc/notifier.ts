/**
 * Lifecycle notifications in the OpenStack shape (oslo.messaging Notifier): each is
 * `{ message_id, publisher_id, event_type, priority, payload, timestamp }`, published as a fanout
 * on topic `notifications` (method = the priority in lower case), so any number of consumers can
 * listen and none is needed. Publishing never fails the operation it reports: errors are logged.
 * Shared by every service: volumes (`volume.create.start` …, src/volume) and instances
 * (`compute.instance.create.start` …, src/compute).
 */
import { v4 as uuidv4 } from 'uuid';
import { RequestContext } from './context';
import { nullLogger, type Logger } from './logger';
import type { Transport } from './transport';

/** The topic notifications are published on (oslo's `notification_topics`). */
export const NOTIFICATIONS_TOPIC = 'notifications';

export type NotificationPriority = 'INFO' | 'WARN' | 'ERROR';

/** One notification as it travels. */
export interface Notification {
  readonly message_id: string;
  /** `<service>.<host>`, e.g. `volume.node1@file`, `compute.c1`. */
  readonly publisher_id: string;
  /** e.g. `volume.create.end`. */
  readonly event_type: string;
  readonly priority: NotificationPriority;
  readonly payload: Record<string, unknown>;
  /** UTC, `YYYY-MM-DD HH:MM:SS.ffffff` as oslo prints it. */
  readonly timestamp: string;
}

export function osloTimestamp(d: Date): string {
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)}000`;
}

export class EventNotifier {
  private readonly log: Logger;

  constructor(
    private readonly transport: Transport,
    /** `<service>.<host>` */
    readonly publisherId: string,
    options: { readonly logger?: Logger; readonly topic?: string } = {},
  ) {
    this.log = (options.logger ?? nullLogger).child({ component: 'notifier' });
    this.topic = options.topic ?? NOTIFICATIONS_TOPIC;
  }

  private readonly topic: string;

  /** Publish one notification; resolves to it (also when publishing failed, which is logged). */
  async notify(
    ctx: RequestContext | null,
    eventType: string,
    payload: Record<string, unknown>,
    priority: NotificationPriority = 'INFO',
  ): Promise<Notification> {
    const n: Notification = {
      message_id: uuidv4(),
      publisher_id: this.publisherId,
      event_type: eventType,
      priority,
      payload,
      timestamp: osloTimestamp(new Date()),
    };
    try {
      await this.transport.cast(
        { topic: this.topic, fanout: true },
        {
          envelopeVersion: 1,
          method: priority.toLowerCase(),
          args: { ...n },
          context: { ...(ctx ?? RequestContext.admin()).toDict() },
          messageId: n.message_id,
        },
      );
    } catch (err) {
      this.log.warn('could not publish a notification', { eventType, err });
    }
    return n;
  }
}
