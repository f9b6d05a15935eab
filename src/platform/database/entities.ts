import { CAPABILITY_ENTITIES } from '../../capability-entities';
import { ArtifactEntity } from '../artifacts/artifact.entity';
import { ApiKeyEntity } from '../auth/api-key.entity';
import { AuditLogEntity } from '../auth/audit-log.entity';
import { ProjectEntity } from '../auth/project.entity';
import { JobEventEntity } from '../jobs/job-event.entity';
import { JobEntity } from '../jobs/job.entity';
import { MetricEntity } from '../jobs/metric.entity';

/** Every entity of the service: the platform's and the capabilities' (src/capability-entities.ts). */
export const ENTITIES = [
  ProjectEntity,
  ApiKeyEntity,
  AuditLogEntity,
  JobEntity,
  JobEventEntity,
  MetricEntity,
  ArtifactEntity,
  ...CAPABILITY_ENTITIES,
];
