import { createTestSqliteDatabase } from '../../helpers/db';
import { createVolumeSharedFlowSuite } from './create-volume-shared.suite';

createVolumeSharedFlowSuite('SQLite', () => createTestSqliteDatabase());
