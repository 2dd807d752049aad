import { createTestMysqlDatabase } from '../../helpers/db';
import { createVolumeSharedFlowSuite } from '../../unit/flows/create-volume-shared.suite';

// On MariaDB the concurrent creates run on separate connections and the quota engine batches their
// reserves and commits (group commit), so one built flow is shared by runs that truly overlap.
createVolumeSharedFlowSuite('MariaDB', () => createTestMysqlDatabase());
