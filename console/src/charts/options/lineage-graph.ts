// Lineage graph of a model (ECharts graph series), DOM-free: base model -> fine-tuned ->
// pruned/exported, each model linked to the data set it was trained on and the job that made it;
// a federated model to every site's data set and the shared set (docs/collab.md).
import type { EChartsOption } from 'echarts';

export interface LineageModel {
  id: string;
  name: string;
  method: string;
  baseModelId: string | null;
  datasetId: string | null;
  jobId: string | null;
  /** A federated model: every local site's data set. */
  siteDatasetIds?: readonly string[];
  /** A federated model: the shared labelled set every site trained on. */
  sharedDatasetId?: string | null;
}

export interface LineageInput {
  /** The model the page is about (highlighted). */
  focusId: string;
  /** Its ancestors, itself and its descendants (other models are ignored). */
  models: readonly LineageModel[];
  /** Names of the data sets the viewer can read; any other is shown by its id prefix. */
  datasetNames: Readonly<Record<string, string>>;
}

export interface LineageNode {
  id: string;
  name: string;
  category: number;
  x: number;
  y: number;
  symbolSize: number;
}

export interface LineageEdge {
  source: string;
  target: string;
  label: string;
}

export const CATEGORIES = ['model', 'data set', 'job'] as const;
const COLUMN = 220;
const ROW = 90;
/** Vertical distance between the data sets of one model. */
const STACK = 50;

/**
 * The nodes and edges: models are laid out by generation (x: distance from the root of the
 * base-model chain; y: order of creation within a generation), their data sets and jobs below
 * them. Deterministic, so the picture does not move between visits.
 */
export function lineageGraph(input: LineageInput): { nodes: LineageNode[]; edges: LineageEdge[] } {
  const byId = new Map(input.models.map((m) => [m.id, m]));
  const depthOf = (m: LineageModel): number => {
    let depth = 0;
    const seen = new Set<string>([m.id]);
    for (let b = m.baseModelId; b && byId.has(b) && !seen.has(b); b = byId.get(b)!.baseModelId) {
      seen.add(b);
      depth++;
    }
    return depth;
  };
  const nodes: LineageNode[] = [];
  const edges: LineageEdge[] = [];
  const perDepth = new Map<number, number>();
  let maxRow = 0;
  const placed = input.models.map((m) => {
    const depth = depthOf(m);
    const row = perDepth.get(depth) ?? 0;
    perDepth.set(depth, row + 1);
    maxRow = Math.max(maxRow, row);
    return { m, depth, row };
  });
  for (const { m, depth, row } of placed) {
    nodes.push({
      id: `model:${m.id}`,
      name: m.name,
      category: 0,
      x: depth * COLUMN,
      y: row * ROW,
      symbolSize: m.id === input.focusId ? 44 : 30,
    });
    if (m.baseModelId && byId.has(m.baseModelId)) {
      edges.push({ source: `model:${m.baseModelId}`, target: `model:${m.id}`, label: m.method });
    }
  }
  const below = (maxRow + 1) * ROW;
  const datasetLabel = (id: string) => input.datasetNames[id] ?? id.slice(0, 8);
  for (const { m, depth } of placed) {
    // The model's data sets: the one it was trained on, or a federation's sites and shared set,
    // stacked in a column left of its job (a federation may have many sites).
    const sets = [
      ...(m.datasetId ? [{ id: m.datasetId, label: 'trained on', shared: false }] : []),
      ...(m.siteDatasetIds ?? []).map((id) => ({ id, label: 'site', shared: false })),
      ...(m.sharedDatasetId ? [{ id: m.sharedDatasetId, label: 'shared set', shared: true }] : []),
    ];
    sets.forEach((set, k) => {
      const id = `dataset:${set.id}`;
      if (!nodes.some((n) => n.id === id)) {
        nodes.push({
          id,
          name: set.shared ? `${datasetLabel(set.id)} (shared)` : datasetLabel(set.id),
          category: 1,
          x: depth * COLUMN - COLUMN / 3,
          y: below + k * STACK,
          symbolSize: 22,
        });
      }
      edges.push({ source: id, target: `model:${m.id}`, label: set.label });
    });
    if (m.jobId) {
      nodes.push({
        id: `job:${m.jobId}`,
        name: `job ${m.jobId.slice(0, 8)}`,
        category: 2,
        x: depth * COLUMN + COLUMN / 3,
        y: below + ROW,
        symbolSize: 18,
      });
      edges.push({ source: `job:${m.jobId}`, target: `model:${m.id}`, label: m.method });
    }
  }
  return { nodes, edges };
}

/** How a model used a data set: trained on it, as a federation site's data, or as its shared set. */
export type DatasetRole = 'trained on' | 'site' | 'shared set';

/** `datasetId`'s role in a model's lineage, null when the model did not use it. */
export function datasetRole(
  lineage: Pick<LineageModel, 'datasetId' | 'siteDatasetIds' | 'sharedDatasetId'>,
  datasetId: string,
): DatasetRole | null {
  if (lineage.datasetId === datasetId) return 'trained on';
  if (lineage.siteDatasetIds?.includes(datasetId)) return 'site';
  if (lineage.sharedDatasetId === datasetId) return 'shared set';
  return null;
}

/** The models related to `focusId`: its base-model chain and every model derived from it. */
export function relatedModels<M extends LineageModel>(all: readonly M[], focusId: string): M[] {
  const byId = new Map(all.map((m) => [m.id, m]));
  const keep = new Set<string>();
  for (let id: string | null = focusId; id && byId.has(id) && !keep.has(id);) {
    keep.add(id);
    id = byId.get(id)!.baseModelId;
  }
  // Descendants of the focus only (not its siblings): grow until nothing derived is left out.
  const derived = new Set<string>([focusId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const m of all) {
      if (!derived.has(m.id) && m.baseModelId && derived.has(m.baseModelId)) {
        derived.add(m.id);
        keep.add(m.id);
        grew = true;
      }
    }
  }
  return all.filter((m) => keep.has(m.id));
}

export function lineageOption(input: LineageInput): EChartsOption {
  const { nodes, edges } = lineageGraph(input);
  return {
    animation: false,
    tooltip: {},
    legend: [{ data: [...CATEGORIES], top: 0 }],
    series: [
      {
        type: 'graph',
        layout: 'none',
        // The nodes' box starts below the legend (top: 0) and leaves room for the labels drawn
        // under the lowest nodes and beside the outermost ones; by default it fills the whole
        // canvas and the legend sits on the top node.
        top: 56,
        bottom: 40,
        left: 72,
        right: 72,
        // Scaled alike on both axes (all four sides set would stretch the picture to the box).
        preserveAspect: true,
        roam: true,
        label: { show: true, position: 'bottom' },
        edgeSymbol: ['none', 'arrow'],
        edgeLabel: { show: true, fontSize: 10 },
        categories: CATEGORIES.map((name) => ({ name })),
        data: nodes.map((n) => ({ ...n, value: n.id })),
        // Each link carries its own label text (method or "trained on"): plain data, no callback.
        links: edges.map((e) => ({
          source: e.source,
          target: e.target,
          label: { show: true, formatter: e.label },
        })),
        lineStyle: { curveness: 0.1 },
      },
    ],
  };
}
