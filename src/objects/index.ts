/** Persistent objects: fields, remotable methods, indirection to the conductor, DB blocking. */
export * from './errors';
export * from './environment';
export * from './base';
export * from './serializer';
export { Instance } from './instance';
export { ComputeNode } from './compute-node';
export { ServiceObject, ObjectServiceRecordStore } from './service';
