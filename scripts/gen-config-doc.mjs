#!/usr/bin/env node
// Regenerate docs/configuration.md from the services' config specs (after `make build`).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDoc } from '../services/cli/dist/index.js';

const path = resolve(fileURLToPath(import.meta.url), '../../docs/configuration.md');
writeFileSync(path, configDoc());
console.log(`wrote ${path}`);
