/**
 * @hubel/lab: what one does *with* a convnet — the overfit and gradient checks, unit
 * diagnostics (a Trainer plugin), receptive fields, and feature visualization. Library
 * functions first; the `hubel check`, `hubel diagnose` and `hubel visualize` commands are thin
 * shells over them. Depends on core, io, data, models and viz, never the reverse.
 *
 * @packageDocumentation
 */

// Receptive fields and feature visualization (src/receptive-field.ts, src/visualize/).
export { receptiveField, unitField, type ReceptiveField, type ReceptiveFieldOptions, type FieldBox } from './receptive-field.js';
export { layerOutput, spatialLayerOutput, type LayerOutput, type ImageBatch } from './visualize/layer.js';
export { filterImage, type FilterImageOptions, type FilterPicture } from './visualize/filters.js';
export { featureMapImage, type FeatureMapPicture } from './visualize/maps.js';
export { topPatches, patchPixels, patchImage, type TopPatchesOptions, type TopPatches, type UnitPatches, type UnitPatch } from './visualize/patches.js';
export { maximizeActivation, maximizedImage, type MaximizeOptions, type MaximizeResult } from './visualize/maximize.js';

// Sanity checks: overfit a small subset, whole-model gradient check (src/check/).
export { overfitCheck, withoutDropout, type OverfitOptions, type OverfitPoint, type OverfitResult } from './check/overfit.js';
export { gradientCheck, type GradientCheckOptions, type GradientCheckResult, type TensorGradientCheck } from './check/gradients.js';
export { formatGradientCheck, formatOverfitPoint, formatOverfitSummary, overfitVerdict, sparkline } from './check/format.js';
export type { DeadUnitCount } from './check/dead-units.js';

// Unit diagnostics: the UnitStats Trainer plugin and model diagnostics (src/diagnostics/).
export { diagnoseModel, type DiagnoseOptions, type ModelDiagnostics } from './diagnostics/diagnose-model.js';
export { UnitAccumulator, type UnitAccumulatorOptions, type LayerDiagnostics, type ActivationHistogram } from './diagnostics/unit-accumulator.js';
export { UnitStats, type UnitStatsOptions, type UnitStatsRecord, type ParamStats } from './diagnostics/unit-stats.js';
export { formatDiagnostics, summarizeLayer, type LayerSummary } from './diagnostics/format-diagnostics.js';
