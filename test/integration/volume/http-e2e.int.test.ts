import { createTestMysqlDatabase } from '../../helpers/db';
import { httpEndToEndSuite } from '../../unit/volume/http-e2e.suite';

httpEndToEndSuite('MariaDB', () => createTestMysqlDatabase());
