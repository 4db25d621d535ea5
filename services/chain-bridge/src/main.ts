#!/usr/bin/env node
// The cohort-chain-bridge binary: the only place that reads argv and the environment.
import { runServiceMain } from '@cohort/kit';
import { chainBridgeService } from './service.js';

await runServiceMain(chainBridgeService);
