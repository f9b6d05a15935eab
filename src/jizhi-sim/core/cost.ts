import type { ResourceVector } from './instance-types';
import type { PipelineSpec, StageSpec } from './pipeline';

const GIB = 1024 ** 3;

/** Prices of the resources an instance holds (pipeline.resourcePrices). */
export interface ResourcePrices {
  cpuPerHour?: number;
  gpuPerHour?: number;
  memoryGibPerHour?: number;
}

/** An instance's price: its explicit pricePerHour, else its resource vector at these prices. */
function instancePrice(
  pricePerHour: number | undefined,
  resources: ResourceVector | undefined,
  prices: ResourcePrices | undefined,
): number {
  if (pricePerHour !== undefined && pricePerHour > 0) return pricePerHour;
  if (!resources || !prices) return 0;
  return (
    (resources.cpu ?? 0) * (prices.cpuPerHour ?? 0) +
    (resources.gpu ?? 0) * (prices.gpuPerHour ?? 0) +
    (resources.memoryGib ?? 0) * (prices.memoryGibPerHour ?? 0)
  );
}

/** Price of one instance of a homogeneous stage per hour (explicit, or its resources). */
export function instancePricePerHour(stage: StageSpec, prices?: ResourcePrices): number {
  return instancePrice(stage.pricePerHour, stage.resources, prices);
}

/**
 * The price of a stage per hour: its instances (each at pricePerHour, or its resource vector
 * at the pipeline's resource prices; per instance type when the stage has several), plus its LRU
 * cache's memory, capacity x entryBytes at memoryPricePerGibHour. Without that memory price a
 * tuner that may size the cache would grow it for free (JIZHI trades cache memory against
 * instances).
 */
export function stageCostPerHour(stage: StageSpec, prices?: ResourcePrices): number {
  let instances = 0;
  if (stage.instanceTypes) {
    for (const t of stage.instanceTypes)
      instances +=
        t.count *
        instancePrice(t.pricePerHour ?? stage.pricePerHour, t.resources ?? stage.resources, prices);
  } else instances = stage.instances * instancePrice(stage.pricePerHour, stage.resources, prices);
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
    price += stageCostPerHour(s, pipeline.resourcePrices);
    instances += s.instances;
  }
  return { cost: price > 0 ? price : instances, instances };
}
