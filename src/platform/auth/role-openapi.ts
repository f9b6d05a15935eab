import type { OpenAPIObject } from '@nestjs/swagger';
import { problemResponseObject } from '../http/problem.dto';
import { READ_METHODS } from './roles';

/**
 * Every mutating /v1 operation can answer 403 (a viewer key, docs/security.md); the guard does
 * that before any route runs, so the document says it once here instead of on each route.
 */
export function documentViewerRefusals(doc: OpenAPIObject): OpenAPIObject {
  for (const [route, item] of Object.entries(doc.paths)) {
    if (!route.startsWith('/v1')) continue;
    for (const [method, op] of Object.entries(item)) {
      if (READ_METHODS.includes(method.toUpperCase())) continue;
      const responses = (op as { responses?: Record<string, unknown> }).responses;
      if (!responses || responses['403']) continue;
      responses['403'] = {
        ...problemResponseObject(403),
        description: 'Not allowed for this API key (a viewer key only reads)',
      };
    }
  }
  return doc;
}
