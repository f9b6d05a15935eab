import type { PipelineSpec, StageSpec } from './pipeline';

const GIB = 1024 ** 3;

/**
 * The price of a stage per hour: its instances at pricePerHour, plus its LRU cache's memory,
 * capacity x entryBytes at memoryPricePerGibHour. Without that memory price a tuner that may
 * size the cache would grow it for free (JIZHI trades cache memory against instances).
 */
export function stageCostPerHour(stage: StageSpec): number {
  const instances = stage.instances * (stage.pricePerHour ?? 0);
  const cache = stage.cache;
  if (cache?.model !== 'lru') return instances;
  const bytes = cache.capacity * (cache.entryBytes ?? 0);
  return instances + (bytes / GIB) * (cache.memoryPricePerGibHour ?? 0);
}

/**
 * What the tuner minimises: the pipeline's price per hour, or its instance count when nothing in
 * it has a price (so an unpriced pipeline is still tuned towards fewer servers).
 */
export function pipelineCost(pipeline: PipelineSpec): { cost: number; instances: number } {
  let price = 0;
  let instances = 0;
  for (const s of pipeline.stages) {
    price += stageCostPerHour(s);
    instances += s.instances;
  }
  return { cost: price > 0 ? price : instances, instances };
}
