#!/usr/bin/env node
import { processContext } from './context.js';
import { main } from './main.js';

// `hubel … | head`: when the reader closes the pipe, stop quietly, as Unix tools do, instead of
// crashing on the unhandled EPIPE error event.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2), processContext());
