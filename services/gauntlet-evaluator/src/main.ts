#!/usr/bin/env node
// The cohort-gauntlet-evaluator binary: the only place that reads argv and the environment.
import { runServiceMain } from '@cohort/kit';
import { gauntletEvaluatorService } from './service.js';

await runServiceMain(gauntletEvaluatorService);
