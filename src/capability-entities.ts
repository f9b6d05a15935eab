/**
 * TypeORM entities of the capabilities (each table has its migration in migrations/). Kept apart
 * from src/capabilities.ts so that loading entities never loads modules and controllers.
 */
import { SEARCH_ENTITIES } from './search/storage/entities';
import { MODELS_ENTITIES } from './registry/model.entity';
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const CAPABILITY_ENTITIES: Function[] = [...SEARCH_ENTITIES, ...MODELS_ENTITIES];
