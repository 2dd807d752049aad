/** The create-volume manager flow's tasks (run by the volume service). */
export * from './types';
export * from './extract-volume-ref';
export * from './on-failure-reschedule';
export * from './create-volume-from-spec';
export * from './create-volume-on-finish';
