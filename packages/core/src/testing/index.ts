/**
 * `@hubel/core/testing`: the shared suites, usable by third parties on their own plugins.
 */
export { checkLayerGradients, checkModelGradients, assertGradients, scalarCount } from './gradcheck.js';
export type { GradCheckOptions, GradCheckReport, GradCheckEntry, ModelGradCheckInput } from './gradcheck.js';
export { runCase, drawInputs, buildCaseModel, uploadInputs } from './case-runner.js';
export type { CaseResult, DrawnInput } from './case-runner.js';
export { gradcheckPlugin } from './suites.js';
