#!/usr/bin/env node
// The cohort-gpu-worker binary: the only place that reads argv and the environment.
import { runServiceMain } from '@cohort/kit';
import { gpuWorkerService } from './service.js';

await runServiceMain(gpuWorkerService);
