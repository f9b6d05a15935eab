import { InMemoryStudyStorage } from './memory-storage';
import { describeStudyStorageContract } from './storage.contract';

describeStudyStorageContract('in-memory', () => new InMemoryStudyStorage());
