#!/usr/bin/env node
// The cohort-aggregator binary: the only place that reads argv and the environment.
import { runServiceMain } from '@cohort/kit';
import { aggregatorService } from './service.js';

await runServiceMain(aggregatorService);
