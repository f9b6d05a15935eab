import { ArtifactEntity } from '../artifacts/artifact.entity';
import { ApiKeyEntity } from '../auth/api-key.entity';
import { AuditLogEntity } from '../auth/audit-log.entity';
import { ProjectEntity } from '../auth/project.entity';
import { JobEventEntity } from '../jobs/job-event.entity';
import { JobEntity } from '../jobs/job.entity';
import { MetricEntity } from '../jobs/metric.entity';

/** A TypeORM entity class (what DataSourceOptions.entities takes). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityClass = Function;

/**
 * The platform's own tables. The capabilities' entities are not listed here: the composition
 * root (src/capability-entities.ts) passes the whole list to DatabaseModule.forRoot and
 * openDataSource, so the platform never imports a capability.
 */
export const PLATFORM_ENTITIES: readonly EntityClass[] = [
  ProjectEntity,
  ApiKeyEntity,
  AuditLogEntity,
  JobEntity,
  JobEventEntity,
  MetricEntity,
  ArtifactEntity,
];
