import { createTestSqliteDatabase } from '../../helpers/db';
import { attachmentsSuite } from './attachments.suite';

attachmentsSuite('SQLite', () => createTestSqliteDatabase());
