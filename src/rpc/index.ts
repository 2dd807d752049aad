/** Public surface of the RPC layer (the AMQP transport is exported from its own module). */
export * from './transport';
export * from './errors';
export * from './logger';
export * from './context';
export * from './serializer';
export * from './client';
export * from './server';
export {
  InProcessTransport,
  DEFAULT_RPC_TIMEOUT_MS,
  copyMessage,
  type InProcessTransportOptions,
} from './in-process-transport';
