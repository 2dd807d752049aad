import { createTestSqliteDatabase } from '../../helpers/db';
import { extensionsSuite } from './extensions.suite';

extensionsSuite('SQLite', () => createTestSqliteDatabase());
