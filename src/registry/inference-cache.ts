import { Injectable } from '@nestjs/common';
import type { Principal } from '../platform/auth/projects.service';
import {
  contractOf,
  type Prediction,
  predictInstances,
  predictProbabilities,
  toPredictions,
} from './core/predict';
import { type LoadedModel, ModelsService } from './models.service';

/** Models kept loaded in a process for predict (least recently used evicted and disposed). */
const CACHE_SIZE = 8;

/**
 * `POST /v1/models/:id/predict`: the last few models used stay loaded in the API process, so a
 * series of requests decodes each model once.
 */
@Injectable()
export class InferenceCache {
  private readonly cache = new Map<string, LoadedModel>();

  constructor(private readonly models: ModelsService) {}

  /** Class probabilities for raw instances, validated against the model's input contract. */
  async predict(
    principal: Principal,
    ref: string,
    body: { images?: unknown[]; rows?: unknown[]; texts?: unknown[] },
  ): Promise<{ model: string; predictions: Prediction[] }> {
    const loaded = await this.cached(principal.projectId, ref);
    const contract = contractOf(loaded.entity);
    const instances = predictInstances(contract, body);
    const probs = predictProbabilities(loaded.model, contract, instances, loaded.vocabulary);
    return { model: loaded.entity.id, predictions: toPredictions(probs, loaded.entity.classNames) };
  }

  /** Models loaded right now. */
  get size(): number {
    return this.cache.size;
  }

  private async cached(projectId: string, ref: string): Promise<LoadedModel> {
    const { id } = await this.models.get(projectId, ref);
    const hit = this.cache.get(id);
    if (hit && hit.entity.projectId === projectId) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const loaded = await this.models.load(projectId, id);
    this.cache.set(id, loaded);
    while (this.cache.size > CACHE_SIZE) {
      const [oldest, value] = this.cache.entries().next().value as [string, LoadedModel];
      this.cache.delete(oldest);
      value.model.dispose();
    }
    return loaded;
  }
}
