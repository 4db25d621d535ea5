#!/usr/bin/env node
// The cohort-coordinator binary: the only place that reads argv and the environment.
import { runServiceMain } from '@cohort/kit';
import { coordinatorService } from './service.js';

await runServiceMain(coordinatorService);
