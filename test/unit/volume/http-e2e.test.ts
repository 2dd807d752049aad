import { createTestSqliteDatabase } from '../../helpers/db';
import { httpEndToEndSuite } from './http-e2e.suite';

httpEndToEndSuite('SQLite', () => createTestSqliteDatabase());
