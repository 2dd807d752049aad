import { createTestMysqlDatabase } from '../../helpers/db';
import { samplesReplaySuite } from '../../unit/api/contract/samples-replay.suite';

jest.setTimeout(180_000);

samplesReplaySuite('MariaDB', () => createTestMysqlDatabase());
