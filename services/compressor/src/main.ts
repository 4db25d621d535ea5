#!/usr/bin/env node
// The cohort-compressor binary: the only place that reads argv and the environment.
import { runServiceMain } from '@cohort/kit';
import { compressorService } from './service.js';

await runServiceMain(compressorService);
