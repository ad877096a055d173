/**
 * @hubel/cli: the `hubel` command (train, eval, inspect, export, demo). `main(argv, ctx)`
 * runs it in-process and returns the exit code.
 */
export { main, usage } from './main.js';
export { processContext, type CliContext } from './context.js';
export { parseArgs, flagHelp, UsageError, type FlagSpec, type FlagSpecs, type Parsed } from './args.js';
export { ensureWritableDir } from './files.js';
