#!/usr/bin/env node
// The `medsymmflow` command. Build first (pnpm build); the logic lives in ../dist/index.js.
import { main } from '../dist/index.js';

// A reader that stops early (`medsymmflow train --help | head`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv);
