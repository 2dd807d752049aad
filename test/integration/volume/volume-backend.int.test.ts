import { createTestMysqlDatabase } from '../../helpers/db';
import { volumeBackendSuite } from '../../unit/volume/volume-backend.suite';

volumeBackendSuite('MariaDB', () => createTestMysqlDatabase());
