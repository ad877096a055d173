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
export { maximizeActivation, maximizedImage, inputGradient, type MaximizeOptions, type MaximizeResult, type InputGradient } from './visualize/maximize.js';

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

// Hyperparameter search with cross-validation (src/search/).
export { parseSearchSpace, formatConfig, SEARCH_KEYS, type SearchKey, type SearchValue, type SearchDimension, type SearchSpace, type SearchConfig } from './search/space.js';
export { gridConfigs, randomConfigs, halvingRungs, type HalvingRung } from './search/strategies.js';
export { stratifiedFolds, holdoutFold, foldSplit } from './search/folds.js';
export { runTrial, retrainConfig, trialSeed, trialCheckpointPath, removeTrialCheckpoints, type TrialOptions, type TrialResult, type RetrainOptions } from './search/trial.js';
export { rankTrials, formatLeaderboard, type TrialRecord } from './search/leaderboard.js';
export { searchPlotSvg } from './search/plot.js';

// Ablation and lesions (src/ablate/).
export { lesionLayer, lesionableLayers, errorOf, formatLesionTable, lesionBarsSvg, type LesionOptions, type LesionResult, type LesionReport, type UnitLesion } from './ablate/lesion.js';
export { identityLayers, withoutLayer, lesionWholeLayers, type IdentityPlan, type IdentityRefusal, type LayerLesion, type WholeLayerLesionOptions, type WholeLayerLesionResult } from './ablate/whole-layer.js';
export { ablateArchitecture, checkVariants, meanStd, formatAblationTable, type AblationOptions, type AblationResult, type AblationRow, type AblationRun, type MeanStd } from './ablate/architecture.js';

// Gabor banks and fits: spectra by fft.js, bank pictures, least-squares Gabor fits of filters (src/gabor/).
export { magnitudeSpectrum, filterSpectra, spectrumPeak, nextPowerOfTwo, type FilterSpectra, type FilterSpectraOptions, type SpectrumPeak } from './gabor/spectrum.js';
export { bankPictures, type BankPictures, type BankPictureOptions } from './gabor/bank-pictures.js';
export { fitGabor, gaborSamples, summarizeR2, type GaborFit, type GaborFitOptions, type GaborFitParams, type R2Summary } from './gabor/fit.js';
export { modelGaborFits, gaborFitImage, gaborFitSvg, gaborFitReport, formatGaborFits, type ModelGaborFits, type ModelGaborFitOptions, type FilterGaborFit, type GaborFitRecord } from './gabor/model-fit.js';

// Fooling images and adversarial examples (src/fool/).
export { foolGradient, type FoolGradientOptions } from './fool/gradient.js';
export { foolEvolve, type FoolEvolveOptions } from './fool/evolve.js';
export { adversarialAttack, type AttackMethod, type AttackOptions, type AttackPoint, type AttackResult } from './fool/attack.js';
export { classScores, softmaxRows, type ClassScores, type FoolResult, type FoolTarget } from './fool/scores.js';
export { encodeNpy, decodeNpy } from './fool/npy.js';
