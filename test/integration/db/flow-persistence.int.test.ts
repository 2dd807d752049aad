import { createTestMysqlDatabase } from '../../helpers/db';
import { typeOrmBackendSuite } from '../../unit/db/flow-persistence.suite';

typeOrmBackendSuite('MariaDB', () => createTestMysqlDatabase());
