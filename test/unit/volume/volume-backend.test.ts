import { createTestSqliteDatabase } from '../../helpers/db';
import { volumeBackendSuite } from './volume-backend.suite';

volumeBackendSuite('SQLite', () => createTestSqliteDatabase());
