import { createTestSqliteDatabase } from '../../helpers/db';
import { quotaEngineSuite } from './quota-engine.suite';

quotaEngineSuite('SQLite', () => createTestSqliteDatabase(), { multiPool: false });
