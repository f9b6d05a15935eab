import { ArtifactEntity } from '../artifacts/artifact.entity';
import { ApiKeyEntity } from '../auth/api-key.entity';
import { ProjectEntity } from '../auth/project.entity';
import { JobEventEntity } from '../jobs/job-event.entity';
import { JobEntity } from '../jobs/job.entity';
import { MetricEntity } from '../jobs/metric.entity';

/** Every entity of the service; capabilities append theirs here (one list, one migration set). */
export const ENTITIES = [
  ProjectEntity,
  ApiKeyEntity,
  JobEntity,
  JobEventEntity,
  MetricEntity,
  ArtifactEntity,
];
