/** The legacy attach actions suite on MariaDB (TEST_MYSQL_URL), where racing requests use separate connections. */
import { createTestMysqlDatabase } from '../../helpers/db';
import { attachSuite } from '../../unit/volume-api/attach.suite';

attachSuite('MariaDB', () => createTestMysqlDatabase());
