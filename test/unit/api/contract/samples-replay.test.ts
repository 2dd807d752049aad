import { createTestSqliteDatabase } from '../../../helpers/db';
import { samplesReplaySuite } from './samples-replay.suite';

jest.setTimeout(120_000);

samplesReplaySuite('SQLite', () => createTestSqliteDatabase());
