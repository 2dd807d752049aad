import { createTestSqliteDatabase } from '../../helpers/db';
import { attachRpcSuite } from './attach-rpc.suite';

attachRpcSuite('SQLite, in-process transport', () => createTestSqliteDatabase());
