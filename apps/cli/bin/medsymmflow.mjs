#!/usr/bin/env node
// The `medsymmflow` command. Build first (pnpm build); the logic lives in ../dist/index.js.
import { main } from '../dist/index.js';

process.exitCode = await main(process.argv);
