import { createTestSqliteDatabase } from '../../helpers/db';
import { typeOrmBackendSuite } from './flow-persistence.suite';

typeOrmBackendSuite('SQLite', () => createTestSqliteDatabase());
