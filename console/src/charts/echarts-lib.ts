/**
 * The echarts build the console loads: only the chart types and components the plots use
 * (tree-shaken through echarts/core: ~1/3 of the full bundle). Add a chart type here when a new
 * option builder needs one.
 */
import * as echarts from 'echarts/core';
import {
  BarChart,
  GraphChart,
  HeatmapChart,
  LineChart,
  ParallelChart,
  ScatterChart,
} from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  MarkPointComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  GraphChart,
  HeatmapChart,
  LineChart,
  ParallelChart,
  ScatterChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  MarkPointComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent,
  SVGRenderer,
]);

export const init = echarts.init;
