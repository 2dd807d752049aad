/** The types / extra specs / snapshot metadata / volume actions suite on MariaDB (TEST_MYSQL_URL). */
import { createTestMysqlDatabase } from '../../helpers/db';
import { extensionsSuite } from '../../unit/volume-api/extensions.suite';

extensionsSuite('MariaDB', () => createTestMysqlDatabase());
