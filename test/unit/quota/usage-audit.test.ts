import { createTestSqliteDatabase } from '../../helpers/db';
import { usageAuditSuite } from './usage-audit.suite';

usageAuditSuite('SQLite', () => createTestSqliteDatabase());
