/**
 * Validators for the Kueue objects of k8s/overlays/kueue, in the shape of kubernetes-models'
 * classes (`new Model(obj).validate()` throws on an invalid object). kubernetes-models has no
 * Kueue types, so these encode the rules of Kueue's v1beta1 CRDs (config/components/crd/bases
 * in kubernetes-sigs/kueue: required fields, enums, list bounds, and the CEL rule that each
 * flavor lists exactly the group's coveredResources, in order).
 */
import { isQuantity } from '../../src/deploy/core/job-spec';

type Obj = Record<string, unknown>;

function obj(x: unknown, at: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x))
    throw new Error(`${at} must be an object`);
  return x as Obj;
}

function list(x: unknown, at: string, min: number, max: number): unknown[] {
  if (!Array.isArray(x) || x.length < min || x.length > max)
    throw new Error(`${at} must be a list of ${min}..${max} items`);
  return x;
}

function name(x: unknown, at: string): string {
  if (typeof x !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(x) || x.length > 253)
    throw new Error(`${at} must be a DNS subdomain name`);
  return x;
}

function metadata(o: Obj): void {
  name(obj(o.metadata, 'metadata').name, 'metadata.name');
}

abstract class KueueModel {
  constructor(protected readonly o: Obj) {}
  abstract validate(): void;
}

export class ResourceFlavor extends KueueModel {
  validate(): void {
    metadata(this.o);
    if (this.o.spec === undefined) return;
    const spec = obj(this.o.spec, 'spec');
    if (spec.nodeLabels !== undefined) {
      for (const [k, v] of Object.entries(obj(spec.nodeLabels, 'spec.nodeLabels')))
        if (typeof v !== 'string') throw new Error(`spec.nodeLabels.${k} must be a string`);
    }
    if (spec.tolerations !== undefined) list(spec.tolerations, 'spec.tolerations', 0, 8);
  }
}

export class ClusterQueue extends KueueModel {
  validate(): void {
    metadata(this.o);
    const spec = obj(this.o.spec, 'spec');
    if (
      spec.queueingStrategy !== undefined &&
      !['StrictFIFO', 'BestEffortFIFO'].includes(spec.queueingStrategy as string)
    )
      throw new Error('spec.queueingStrategy must be StrictFIFO or BestEffortFIFO');
    const groups = list(spec.resourceGroups, 'spec.resourceGroups', 0, 16);
    groups.forEach((g, i) => {
      const group = obj(g, `spec.resourceGroups[${i}]`);
      const covered = list(group.coveredResources, `resourceGroups[${i}].coveredResources`, 1, 16);
      list(group.flavors, `resourceGroups[${i}].flavors`, 1, 16).forEach((f, j) => {
        const flavor = obj(f, `flavors[${j}]`);
        name(flavor.name, `flavors[${j}].name`);
        const resources = list(flavor.resources, `flavors[${j}].resources`, 1, 16).map((r) =>
          obj(r, `flavors[${j}].resources[]`),
        );
        const names = resources.map((r) => r.name);
        if (JSON.stringify(names) !== JSON.stringify(covered))
          throw new Error(`flavors[${j}].resources must list coveredResources in order`);
        for (const r of resources) {
          const q = r.nominalQuota;
          if (!(typeof q === 'number' || (typeof q === 'string' && isQuantity(q))))
            throw new Error(
              `flavors[${j}].resources[${String(r.name)}].nominalQuota must be a quantity`,
            );
        }
      });
    });
  }
}

export class LocalQueue extends KueueModel {
  validate(): void {
    metadata(this.o);
    name(obj(this.o.spec, 'spec').clusterQueue, 'spec.clusterQueue');
  }
}
