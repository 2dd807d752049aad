import { createTestSqliteDatabase } from '../../helpers/db';
import { createVolumeRollbackSuite } from './create-volume-rollback.suite';

createVolumeRollbackSuite('SQLite', () => createTestSqliteDatabase());
