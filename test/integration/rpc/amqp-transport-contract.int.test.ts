/** @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js */
/**
 * The shared transport contract, run against AmqpTransport on real RabbitMQ (TEST_AMQP_URL).
 * Every transport of this file lives in one fresh namespace, deleted afterwards.
 */
import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import { transportContract } from '../../contracts/transport.contract';
import {
  deleteNamespace,
  listQueues,
  requireAmqpUrl,
  transportOptions,
  uniqueNamespace,
  unhandledRejections,
} from './amqp-helpers';

const ns = uniqueNamespace('contract');
let url: string | undefined;

beforeAll(async () => {
  url = await requireAmqpUrl();
});

afterAll(async () => {
  if (url !== undefined) {
    await deleteNamespace(url, ns);
    expect(await listQueues(ns)).toEqual([]);
  }
  expect(unhandledRejections()).toEqual([]);
});

transportContract('amqp', async () => {
  if (url === undefined)
    throw new Error('TEST_AMQP_URL is not set or RabbitMQ is unreachable (see beforeAll)');
  return new AmqpTransport(transportOptions(url, ns, { drainTimeoutMs: 2000 }));
});
