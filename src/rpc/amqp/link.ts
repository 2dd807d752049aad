import type { ChannelModel, ConfirmChannel } from 'amqplib';

/** One AMQP connection and what hangs off it; `lost` once it dropped or was closed. */
export interface AmqpLink {
  readonly gen: number;
  readonly model: ChannelModel;
  pub: ConfirmChannel | null;
  lost: boolean;
  /** Fanout exchanges already declared on this connection. */
  readonly fanouts: Set<string>;
  /** Publish ids the broker returned as unroutable; checked when their confirm arrives. */
  readonly returned: Set<string>;
  /** Set while the publish channel's write buffer is full. */
  drain: Promise<void> | null;
}
