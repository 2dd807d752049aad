import { createTestSqliteDatabase } from '../../helpers/db';
import { snapshotSuite } from './snapshots.suite';

snapshotSuite('SQLite', () => createTestSqliteDatabase());
