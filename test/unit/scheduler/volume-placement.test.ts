import { createTestSqliteDatabase } from '../../helpers/db';
import { volumePlacementSuite } from './volume-placement.suite';

volumePlacementSuite('SQLite', () => createTestSqliteDatabase());
