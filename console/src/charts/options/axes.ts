/**
 * A value axis drawn at the plot's edge. ECharts draws an axis line through the other axis'
 * zero whenever zero lies inside that axis' range (`axisLine.onZero`, on by default). A study's
 * parameters and objectives often span zero (x in [-5, 5], a negated loss), and then the y axis
 * with its ticks ran down the middle of a slice plot, or the x axis across a history.
 */
export const AT_EDGE = { axisLine: { onZero: false } } as const;
