/**
 * @hubel/data: IDX (MNIST, Fashion-MNIST) and CIFAR-10 readers, image folders (PNG/JPEG,
 * one sub-folder per class), seeded batching, per-channel normalization, augmentation,
 * train/validation splits. Images are float32 NCHW in [0, 1]; labels int32. Datasets are
 * core's `ArrayDataset`. Pages and Web Workers import `@hubel/data/browser` (no Node built-ins).
 */
export { readIdx, decodeIdx, encodeIdx, parseIdxHeader, type IdxArray, type IdxData, type IdxType, type IdxHeader, type IdxExpectation } from './idx.js';
export { loadMnist, loadFashionMnist, defaultClassNames, idxFileNames, idxImageSet, checkDir, FASHION_MNIST_CLASSES, FASHION_MNIST_SAMPLE_DIR, MNIST_CLASSES, type ImageSet, type IdxImageSetOptions, type IdxSetOptions, type Split } from './mnist.js';
export { fetchMnist, gunzipBytes, type FetchMnistOptions } from './fetch-mnist.js';
export { loadCifar10, decodeCifar10, CIFAR10_CLASSES } from './cifar.js';
export { batchIndices, iterateBatches, type BatchOrderOptions } from './batches.js';
export { trainValidationSplit, balancedSample, type SplitOptions } from './split.js';
export { channelStats, normalizeChannels, type ChannelStats } from './normalize.js';
export { randomCrop, horizontalFlip, type HostImages } from './augment.js';
export { AugmentedDataset, gather, type AugmentOptions } from './augmented-dataset.js';
export { decodeImage, imageFormat, resizeImage, type DecodedImage, type DecodeImageOptions, type ImageFormat, type ResizeMethod } from './images.js';
export {
  readImageFolder,
  scanImageFolder,
  dataDirKind,
  parseSplitFractions,
  DEFAULT_SPLIT_FRACTIONS,
  IMAGE_EXTENSIONS,
  SPLIT_FOLDER_NAMES,
  type ImageFolder,
  type ImageFolderFiles,
  type ImageFolderLayout,
  type ImageFolderOptions,
  type ImageFolderPart,
  type ImageFolderScan,
  type ScanImageFolderOptions,
} from './image-folder.js';
