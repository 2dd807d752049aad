/** @jest-environment ./test/integration/rpc/unhandled-rejection-environment.js */
/**
 * The legacy attach calls over real RabbitMQ and MariaDB: the API and each volume service on its own
 * AMQP connection, so the volume service's refusals cross the broker as remote errors.
 */
import { AmqpTransport } from '../../../src/rpc/amqp-transport';
import { createTestMysqlDatabase } from '../../helpers/db';
import {
  deleteNamespace,
  requireAmqpUrl,
  transportOptions,
  uniqueNamespace,
  type Namespace,
} from '../rpc/amqp-helpers';
import { attachRpcSuite } from '../../unit/volume/attach-rpc.suite';

let url: string;
let ns: Namespace | undefined;
attachRpcSuite(
  'MariaDB, RabbitMQ',
  async () => {
    url = await requireAmqpUrl();
    ns = uniqueNamespace('attach');
    return createTestMysqlDatabase();
  },
  () => async (name) => {
    const t = new AmqpTransport(
      transportOptions(url, ns!, { connectionName: `attach-test:${name}`, defaultTimeoutMs: 10_000 }),
    );
    await t.connect();
    return t;
  },
  async () => {
    if (url !== undefined && ns !== undefined) await deleteNamespace(url, ns);
  },
);
