import { createTestMysqlDatabase } from '../../helpers/db';
import { usageAuditSuite } from '../../unit/quota/usage-audit.suite';

usageAuditSuite('MariaDB', () => createTestMysqlDatabase());
