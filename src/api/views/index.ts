/** View builders: Cinder 21's response JSON for each resource. */
export * from './common';
export * from './volumes';
export * from './types';
export * from './availability-zones';
export * from './quota-sets';
export * from './snapshots';
export * from './services';
export * from './attachments';
