#!/usr/bin/env node
// The cohort-checkpoint-store binary: the only place that reads argv and the environment.
import { runServiceMain } from '@cohort/kit';
import { checkpointStoreService } from './service.js';

await runServiceMain(checkpointStoreService);
