/** The framework every service runs on. */
export * from './periodic-task';
export * from './looping-call';
export * from './manager';
export * from './service-record-store';
export * from './service-group';
export * from './service';
export * from './launcher';
export * from './in-flight';
