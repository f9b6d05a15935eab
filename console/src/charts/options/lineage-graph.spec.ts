import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '../echarts-lib';
import {
  datasetRole,
  lineageGraph,
  lineageOption,
  relatedModels,
  type LineageModel,
} from './lineage-graph';

// base (pretrain on shapes) -> tuned (delta) -> pruned; sibling (l2) and an unrelated model.
const models: LineageModel[] = [
  { id: 'b', name: 'base', method: 'pretrain', baseModelId: null, datasetId: 'd1', jobId: 'j1' },
  { id: 't', name: 'tuned', method: 'delta', baseModelId: 'b', datasetId: 'd2', jobId: 'j2' },
  { id: 's', name: 'sibling', method: 'l2', baseModelId: 'b', datasetId: 'd2', jobId: 'j3' },
  { id: 'p', name: 'pruned', method: 'prune', baseModelId: 't', datasetId: null, jobId: 'j4' },
  { id: 'u', name: 'other', method: 'import', baseModelId: null, datasetId: null, jobId: null },
];

describe('lineage graph', () => {
  test('related models: ancestors and descendants of the focus, not siblings or strangers', () => {
    assert.deepEqual(
      relatedModels(models, 't').map((m) => m.id),
      ['b', 't', 'p'],
    );
    assert.deepEqual(
      relatedModels(models, 'b').map((m) => m.id),
      ['b', 't', 's', 'p'],
    );
  });

  test('models by generation, data sets and jobs linked to what they produced', () => {
    const { nodes, edges } = lineageGraph({
      focusId: 't',
      models: relatedModels(models, 't'),
      datasetNames: { d1: 'shapes', d2: 'shapes-few' },
    });
    const x = (id: string) => nodes.find((n) => n.id === id)?.x;
    assert.deepEqual([x('model:b'), x('model:t'), x('model:p')], [0, 220, 440]);
    assert.equal(nodes.find((n) => n.id === 'model:t')?.symbolSize, 44, 'focus is larger');
    assert.deepEqual(
      nodes.filter((n) => n.category === 1).map((n) => n.name),
      ['shapes', 'shapes-few'],
    );
    assert.equal(nodes.filter((n) => n.category === 2).length, 3);
    assert.deepEqual(edges.map((e) => `${e.source}>${e.target}:${e.label}`).sort(), [
      'dataset:d1>model:b:trained on',
      'dataset:d2>model:t:trained on',
      'job:j1>model:b:pretrain',
      'job:j2>model:t:delta',
      'job:j4>model:p:prune',
      'model:b>model:t:delta',
      'model:t>model:p:prune',
    ]);
  });

  test('the option is one graph series with every node and link', () => {
    const option = lineageOption({ focusId: 'b', models: models.slice(0, 1), datasetNames: {} });
    const series = (option.series as { type: string; data: unknown[]; links: unknown[] }[])[0];
    assert.equal(series.type, 'graph');
    assert.equal(series.data.length, 3); // model, data set (by id prefix), job
    assert.equal(series.links.length, 2);
  });

  test('a federated model: every site data set and the shared set, by name or id prefix, each linked to it', () => {
    const fed: LineageModel[] = [
      {
        id: 'f',
        name: 'fed',
        method: 'collab-fedavg',
        baseModelId: null,
        datasetId: null,
        jobId: 'j9',
        siteDatasetIds: ['s0-aaaaaaaa', 's1-bbbbbbbb'],
        sharedDatasetId: 'sh-cccccccc',
      },
      // Fine-tuned from it on a site's set: that data set is drawn once, linked to both.
      {
        id: 'g',
        name: 'tuned',
        method: 'l2',
        baseModelId: 'f',
        datasetId: 's0-aaaaaaaa',
        jobId: 'jA',
      },
    ];
    // s1 is not among the viewer's data sets: its id prefix.
    const { nodes, edges } = lineageGraph({
      focusId: 'f',
      models: relatedModels(fed, 'f'),
      datasetNames: { 's0-aaaaaaaa': 'site-0', 'sh-cccccccc': 'public' },
    });
    const sets = nodes.filter((n) => n.category === 1);
    assert.deepEqual(
      sets.map((n) => n.name),
      ['site-0', 's1-bbbbb', 'public (shared)'],
    );
    assert.equal(new Set(sets.map((n) => `${n.x},${n.y}`)).size, 3, 'no two sets on one spot');
    assert.deepEqual(edges.map((e) => `${e.source}>${e.target}:${e.label}`).sort(), [
      'dataset:s0-aaaaaaaa>model:f:site',
      'dataset:s0-aaaaaaaa>model:g:trained on',
      'dataset:s1-bbbbbbbb>model:f:site',
      'dataset:sh-cccccccc>model:f:shared set',
      'job:j9>model:f:collab-fedavg',
      'job:jA>model:g:l2',
      'model:f>model:g:l2',
    ]);
    // Without a shared set (null), only the sites.
    const noShared = lineageGraph({
      focusId: 'f',
      models: [{ ...fed[0], sharedDatasetId: null }],
      datasetNames: {},
    });
    assert.equal(noShared.nodes.filter((n) => n.category === 1).length, 2);
  });

  test("laid out by ECharts in the page's 320 px: the focus node clear of the legend, scaled alike on both axes", () => {
    // A federation of three sites and a shared set, as the model page draws it (model-detail.tsx:
    // height 320), rendered server-side by ECharts itself. Its legend (top: 0) is one row of
    // 14 px items with 5 px padding: 24 px. Before the series had its own box, the graph filled
    // the canvas and the legend sat on the model's node.
    const fed: LineageModel = {
      id: 'f',
      name: 'federation-1',
      method: 'collab-esp-clr',
      baseModelId: null,
      datasetId: null,
      jobId: 'j1',
      siteDatasetIds: ['a', 'b', 'c'],
      sharedDatasetId: 's',
    };
    const input = { focusId: 'f', models: [fed], datasetNames: {} };
    const { nodes } = lineageGraph(input);
    for (const width of [480, 960]) {
      const chart = init(null, null, { renderer: 'svg', ssr: true, width, height: 320 });
      try {
        chart.setOption(lineageOption(input));
        const at = (id: string): number[] => {
          const n = nodes.find((m) => m.id === id)!;
          return chart.convertToPixel({ seriesIndex: 0 }, [n.x, n.y]) as number[];
        };
        const [, focusY] = at('model:f');
        const focusRadius = 44 / 2;
        assert.ok(focusY - focusRadius >= 24, `width ${width}: focus top ${focusY - focusRadius}`);
        // The lowest node's label (under it) stays on the canvas.
        const [, lowY] = at('dataset:s');
        assert.ok(lowY + 11 + 14 <= 320, `width ${width}: lowest label at ${lowY + 25}`);
        // One scale on both axes: pixel distances in the data's proportions.
        const [jx, jy] = at('job:j1');
        const [sx] = at('dataset:a');
        const job = nodes.find((n) => n.id === 'job:j1')!;
        const site = nodes.find((n) => n.id === 'dataset:a')!;
        const ratio = (jx - sx) / (job.x - site.x) / ((jy - focusY) / (job.y - 0));
        assert.ok(Math.abs(ratio - 1) < 1e-6, `width ${width}: x/y scale ratio ${ratio}`);
      } finally {
        chart.dispose();
      }
    }
  });

  test("a data set's role in a model's lineage: trained on, a federation's site, its shared set", () => {
    const fed = { datasetId: null, siteDatasetIds: ['s0', 's1'], sharedDatasetId: 'sh' };
    assert.equal(datasetRole(fed, 's1'), 'site');
    assert.equal(datasetRole(fed, 'sh'), 'shared set');
    assert.equal(datasetRole(fed, 'other'), null);
    assert.equal(datasetRole({ datasetId: 'd', sharedDatasetId: null }, 'd'), 'trained on');
    assert.equal(datasetRole({ datasetId: null }, 'd'), null);
  });

  test('a cycle in the base-model chain (corrupt data) does not hang', () => {
    const loop: LineageModel[] = [
      { id: 'a', name: 'a', method: 'x', baseModelId: 'c', datasetId: null, jobId: null },
      { id: 'c', name: 'c', method: 'x', baseModelId: 'a', datasetId: null, jobId: null },
    ];
    assert.equal(
      lineageGraph({ focusId: 'a', models: relatedModels(loop, 'a'), datasetNames: {} }).nodes
        .length,
      2,
    );
  });
});
