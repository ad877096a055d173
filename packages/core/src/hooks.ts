/**
 * The one place Hubel constructs tapable hooks. tapable compiles hooks with `new Function`;
 * a page with a strict Content-Security-Policy swaps this file.
 */
export {
  SyncHook,
  SyncBailHook,
  SyncWaterfallHook,
  AsyncSeriesHook,
  AsyncSeriesBailHook,
  HookMap,
} from 'tapable';
