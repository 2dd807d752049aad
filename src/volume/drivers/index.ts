/** Volume drivers: the contract, the default file driver and the fake one for tests. */
export * from './driver';
export { FileDriver, type FileDriverOptions } from './file-driver';
export { FakeDriver, type FakeDriverOptions } from './fake-driver';
