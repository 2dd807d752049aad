import { createTestMysqlDatabase } from '../../helpers/db';
import { snapshotSuite } from '../../unit/volume/snapshots.suite';

snapshotSuite('MariaDB', () => createTestMysqlDatabase());
