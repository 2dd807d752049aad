import { createTestMysqlDatabase } from '../../helpers/db';
import { duplicateBuildSuite } from '../../unit/compute/duplicate-build.suite';

duplicateBuildSuite('MariaDB', () => createTestMysqlDatabase());
