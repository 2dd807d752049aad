import { createTestSqliteDatabase } from '../../helpers/db';
import { attachSuite } from './attach.suite';

attachSuite('SQLite', () => createTestSqliteDatabase());
