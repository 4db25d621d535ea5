/**
 * gauntlet-evaluator: pulls scoring jobs from the run's JetStream work queue. This build declares the
 * work-queue stream (idempotently, so any number of replicas may start in any order) and reports its
 * counters; scoring itself arrives with the Gauntlet issue.
 */
import { runSubjects, scoreJobsStream } from '@cohort/core';
import { EvaluatorService } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { ensureStream, useNats } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { configSpec } from './config.js';

/** The gauntlet-evaluator service definition, run by main.ts. */
export const gauntletEvaluatorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'gauntlet-evaluator',
  spec: configSpec,
  async start(ctx) {
    ctx.addGrpcService(EvaluatorService, {
      getStatus: () => Promise.resolve({ jobsInFlight: 0, jobsCompleted: 0n, jobsFailed: 0n }),
    });
    const nats = await useNats(ctx, 'gauntlet-evaluator');
    const stream = await ensureStream(nats.jsm, {
      name: scoreJobsStream(ctx.config.runId),
      subjects: [runSubjects(ctx.config.runId).scoreJobs],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    ctx.log.info('score_jobs_stream_ready', { stream: stream.config.name, messages: stream.state.messages });
  },
};
