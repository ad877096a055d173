/**
 * @hubel/viz: pictures of a convnet: first-layer filters as a grid (per-filter contrast
 * normalization, RGB for 3 input channels), feature maps at a chosen layer, and training /
 * validation error curves as SVG. PNG encoding by fast-png.
 */
export { tileGrid, type Image, type GridOptions } from './grid.js';
export { sideBySide, type SideBySideOptions } from './side-by-side.js';
export { encodePng } from './png.js';
export { decodePng } from './png-decode.js';
export { filterGrid, firstConvNode, modelFilterGrid } from './filters.js';
export { featureMapGrid } from './feature-maps.js';
export { errorCurvesSvg, type CurvePoint, type CurveOptions } from './curves.js';
export { correlationHeatMap, correlationColor, type CorrelationMapOptions } from './correlation-map.js';
export { activationHistogramsSvg, type HistogramPanel, type HistogramSvgOptions } from './activation-histograms.js';
export { labelledGridSvg, type LabelledGridOptions } from './labelled-grid.js';
export { accuracyCurveSvg, type AccuracySeries } from './accuracy-curve.js';
