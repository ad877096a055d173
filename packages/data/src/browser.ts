/**
 * `@hubel/data/browser`: the parts of @hubel/data that need no Node built-ins, for pages and
 * Web Workers: IDX decoding, MNIST-format files over `fetch` (gzip through
 * `DecompressionStream`), PNG/JPEG decoding, batching, splits, normalization, augmentation.
 * Reading from disk (loadMnist, loadCifar10, readImageFolder) stays in `@hubel/data`.
 */
export { decodeIdx, parseIdxHeader, type IdxArray, type IdxData, type IdxType, type IdxHeader, type IdxExpectation } from './idx-decode.js';
export { FASHION_MNIST_CLASSES, MNIST_CLASSES, idxFileNames, idxImageSet, type IdxImageSetOptions, type ImageSet, type Split } from './mnist-format.js';
export { fetchMnist, gunzipBytes, type FetchMnistOptions } from './fetch-mnist.js';
export { batchIndices, iterateBatches, type BatchOrderOptions } from './batches.js';
export { trainValidationSplit, balancedSample, type SplitOptions } from './split.js';
export { channelStats, normalizeChannels, type ChannelStats } from './normalize.js';
export { randomCrop, horizontalFlip, type HostImages } from './augment.js';
export { AugmentedDataset, gather, type AugmentOptions } from './augmented-dataset.js';
export { decodeImage, imageFormat, resizeImage, type DecodedImage, type DecodeImageOptions, type ImageFormat, type ResizeMethod } from './images.js';
