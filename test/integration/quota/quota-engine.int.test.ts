import { createTestMysqlDatabase } from '../../helpers/db';
import { quotaEngineSuite } from '../../unit/quota/quota-engine.suite';

quotaEngineSuite('MariaDB', () => createTestMysqlDatabase(), { multiPool: true });
