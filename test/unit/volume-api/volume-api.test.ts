import { createTestSqliteDatabase } from '../../helpers/db';
import { volumeApiSuite } from './volume-api.suite';

volumeApiSuite('SQLite', () => createTestSqliteDatabase());
