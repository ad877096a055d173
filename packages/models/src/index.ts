/**
 * @hubel/models: the model zoo as graph builders. Each builder returns a GraphBuilder with
 * its input ('input', [N, C, H, W], pixels in [0, 1]) and output (class scores, logits)
 * declared: `fashionNet().build({ backend, seed })`. Train with SoftmaxCrossEntropy.
 */
export { zooPlugins, zooRegistry } from './plugins.js';
export { type ZooOptions } from './options.js';
export { mlp, type MlpOptions } from './mlp.js';
export { lenet5, type LeNetOptions } from './lenet.js';
export { fashionNet, type FashionNetOptions } from './fashion.js';
export { alexnet, type AlexNetOptions } from './alexnet.js';
export { hmax, imprintPrototypes, type HmaxOptions, type ImprintOptions, type ImprintRecord } from './hmax.js';
export { neocognitron, neocognitronPhases, findSLayer, sLayerNames, sPlaneWeights, NEOCOGNITRON_STAGES, NEOCOGNITRON_PHASES, type NeocognitronOptions, type NeocognitronStage, type SLayer } from './neocognitron.js';
export { CompetitiveLearning, type CompetitiveLearningOptions, type CompetitivePhase, type CompetitiveReport } from './competitive-learning.js';
export { zoo, zooEntry, type ZooEntry, type ZooKnob, type ZooName, type ZooTrainingContext, type ZooVariant } from './zoo.js';
export { layerTable, formatLayerTable, type LayerRow } from './summary.js';
