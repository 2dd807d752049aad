import { createTestSqliteDatabase } from '../../helpers/db';
import { quotaResourceNamesSuite } from './quota-resource-names.suite';

quotaResourceNamesSuite('SQLite', () => createTestSqliteDatabase());
