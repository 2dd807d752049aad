import { MemoryBackend } from '../../../src/taskflow';
import { persistenceBackendContract } from '../../contracts/persistence-backend.contract';

persistenceBackendContract('MemoryBackend', async () => new MemoryBackend());
