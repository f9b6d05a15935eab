import { InMemoryStudyStorage } from './memory-storage';
import { describeStudyStorageContract } from '../../../test/support/study-storage.contract';

describeStudyStorageContract('in-memory', () => new InMemoryStudyStorage());
