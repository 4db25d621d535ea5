/** The config spec of every service binary, by service name: the source of the config reference. */
import { configSpec as aggregator } from '@cohort/aggregator/config';
import { configSpec as chainBridge } from '@cohort/chain-bridge/config';
import { configSpec as checkpointStore } from '@cohort/checkpoint-store/config';
import { configSpec as compressor } from '@cohort/compressor/config';
import { configSpec as coordinator } from '@cohort/coordinator/config';
import { configSpec as gauntletEvaluator } from '@cohort/gauntlet-evaluator/config';
import { configSpec as gpuWorker } from '@cohort/gpu-worker/config';
import type { ConfigSpec, FieldMap } from '@cohort/kit';

/** Every service's spec, in pipeline order. */
export const serviceSpecs: readonly ConfigSpec<FieldMap>[] = [
  chainBridge,
  checkpointStore,
  coordinator,
  gpuWorker,
  compressor,
  gauntletEvaluator,
  aggregator,
];
