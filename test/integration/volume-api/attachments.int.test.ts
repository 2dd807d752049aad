/** The attachments API suite on MariaDB (TEST_MYSQL_URL), where racing requests use separate connections. */
import { createTestMysqlDatabase } from '../../helpers/db';
import { attachmentsSuite } from '../../unit/volume-api/attachments.suite';

attachmentsSuite('MariaDB', () => createTestMysqlDatabase());
