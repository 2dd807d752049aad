/** The volume API suites on MariaDB (TEST_MYSQL_URL; fails, never skips, when it is unset or unreachable). */
import { createTestMysqlDatabase } from '../../helpers/db';
import { createVolumeRollbackSuite } from '../../unit/flows/create-volume-rollback.suite';
import { volumeApiSuite } from '../../unit/volume-api/volume-api.suite';

createVolumeRollbackSuite('MariaDB', () => createTestMysqlDatabase());
volumeApiSuite('MariaDB', () => createTestMysqlDatabase());
