import { createTestSqliteDatabase } from '../../helpers/db';
import { duplicateBuildSuite } from './duplicate-build.suite';

duplicateBuildSuite('SQLite', () => createTestSqliteDatabase());
