/**
 * TypeORM entities of the capabilities (each table has its migration in migrations/), and with
 * the platform's the service's whole list, which the composition root hands to the database
 * (DatabaseModule.forRoot, openDataSource). Kept apart from src/capabilities.ts so that loading
 * entities never loads modules and controllers.
 */
import { SEARCH_ENTITIES } from './search/storage/entities';
import { MODELS_ENTITIES } from './registry/model.entity';
import { COLLAB_ENTITIES } from './collab/storage/entities';
import { SERVING_ENTITIES } from './serving/storage/deployment.entity';
import { SERVING_LOOP_ENTITIES } from './serving/loop/deployment-profile.entity';
import { PLATFORM_ENTITIES, type EntityClass } from './platform/database/platform-entities';

export const CAPABILITY_ENTITIES: readonly EntityClass[] = [
  ...SEARCH_ENTITIES,
  ...MODELS_ENTITIES,
  ...COLLAB_ENTITIES,
  ...SERVING_ENTITIES,
  ...SERVING_LOOP_ENTITIES,
];

/** Every entity of the service: the platform's and the capabilities'. */
export const SERVICE_ENTITIES: readonly EntityClass[] = [
  ...PLATFORM_ENTITIES,
  ...CAPABILITY_ENTITIES,
];
