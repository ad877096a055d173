#!/usr/bin/env node
import { processContext } from './context.js';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), processContext());
