import { PassThrough } from 'node:stream';
import { createRootLogger } from '../../../src/log';
import type { Logger } from '../../../src/rpc/logger';
import { InMemoryServiceRecordStore } from '../../../src/service/service-record-store';
import { ServiceGroup } from '../../../src/service/service-group';

describe('the service framework on the project winston logger', () => {
  it('accepts a winston child logger and writes constant messages with data in metadata', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (b: Buffer) => lines.push(...b.toString('utf8').split('\n').filter(Boolean)));
    const root = createRootLogger({ level: 'debug', format: 'json', silent: false, stream });
    const logger: Logger = root.child({ component: 'test' }); // compile-time: winston fits the interface

    new ServiceGroup(new InMemoryServiceRecordStore(), { reportInterval: 10, serviceDownTime: 5, logger });

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({
      level: 'warn',
      component: 'servicegroup',
      message: 'report interval must be less than service down time; raising service down time',
      serviceDownTime: 5,
      reportInterval: 10,
      newServiceDownTime: 25,
    });
  });
});
