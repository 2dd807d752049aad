import { createTestMysqlDatabase } from '../../helpers/db';
import { volumePlacementSuite } from '../../unit/scheduler/volume-placement.suite';

volumePlacementSuite('MariaDB', () => createTestMysqlDatabase());
