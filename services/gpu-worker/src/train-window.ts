/**
 * TrainWindow: the inner steps of one window from θ_w on the assigned samples, one engine call per step so
 * every step streams a progress event and a cancellation (client cancel, the deadline at the window's
 * close, or shutdown) stops within one step. Step s of window w trains at the learning rate of schedule
 * step w × innerSteps + s, set on every call: the rate is the run's, not this worker's history (a retried
 * window repeats its rates). A cancelled or failed call puts the replica back at θ_w and ends CANCELLED; a
 * finished one ends with the losses, the throughput and the data receipt, and starts fetching the next
 * window's pages when the dataset comes from the store.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CallContext } from '@cohort/kit';
import type {
  TrainWindowRequest,
  TrainWindowResponseSchema,
} from '@cohort/proto/cohort/worker/v1/gpu_worker';

import type { HandlerDeps } from './handler-deps.js';
import type { PhaseResult } from './worker-metrics.js';
import { prefetchNextPages } from './prefetch-pages.js';
import { cancelledError } from './worker-errors.js';

type TrainWindowResponse = MessageInitShape<typeof TrainWindowResponseSchema>;

/** The TrainWindow handler. */
export function createTrainWindow(
  deps: HandlerDeps,
): (request: TrainWindowRequest, ctx: CallContext) => AsyncIterable<TrainWindowResponse> {
  const { replica, metrics, log } = deps;
  const { engine } = replica.deps;
  return async function* trainWindow(request, ctx) {
    const release = replica.gate.enter('TrainWindow');
    const done = metrics.train();
    const signals = [ctx.signal, ctx.draining];
    const aborted = (): boolean => signals.some((s) => s.aborted);
    const onAbort = (): void => engine.cancel();
    let result: PhaseResult = 'error';
    let began = false;
    let finished = false;
    try {
      const plan = replica.plan(request.runId, request.window, request.innerSteps, request.sampleIds);
      await plan.source.ensure('train', plan.indices, ctx.signal); // a remote dataset's samples, fetched and verified
      await replica.beginTraining();
      began = true;
      for (const s of signals) s.addEventListener('abort', onAbort);
      const batch = plan.indices.length / plan.steps;
      const losses: number[] = [];
      const rates: number[] = [];
      let tokens = 0;
      let seconds = 0;
      for (let step = 0; step < plan.steps && !aborted(); step++) {
        const indices = plan.indices.slice(step * batch, (step + 1) * batch);
        const r = await engine.trainInner(plan.dataset, 'train', indices, 1, {
          scheduleStep: plan.scheduleStep + step,
        });
        const loss = r.losses[0];
        if (loss === undefined) break; // cancelled before the step ran
        losses.push(loss);
        rates.push(r.learningRates[0] ?? Number.NaN);
        tokens += r.tokens;
        seconds += r.seconds;
        yield {
          event: { case: 'progress', value: { step: step + 1, loss, tokensPerSecond: r.tokensPerSecond } },
        };
      }
      if (aborted()) {
        result = 'cancelled';
        throw cancelledError(plan.window, losses.length);
      }
      const receipt = replica.finishTraining(plan);
      finished = true;
      const { hotkey, runId } = replica.deps;
      void prefetchNextPages(
        { source: plan.source, hotkey, runId, log },
        plan.window,
        plan.indices.length,
        ctx.draining,
      );
      const tokensPerSecond = seconds > 0 ? tokens / seconds : 0;
      metrics.tokensPerSecond(tokensPerSecond);
      log.info('window_trained', {
        window: plan.window.toString(),
        steps: plan.steps,
        samples: plan.indices.length,
        scheduleStep: plan.scheduleStep,
        firstLearningRate: rates[0],
        lastLearningRate: rates.at(-1),
        firstLoss: losses[0],
        lastLoss: losses.at(-1),
        tokensPerSecond: Math.round(tokensPerSecond),
      });
      result = 'ok';
      yield { event: { case: 'result', value: { losses, tokensPerSecond, dataReceipt: receipt } } };
    } finally {
      for (const s of signals) s.removeEventListener('abort', onAbort);
      // Reached on errors, on cancellation and when the client went away mid-stream (the generator is
      // closed at its current yield): never leave a half-trained θ behind.
      if (began && !finished) {
        if (result === 'error' && aborted()) result = 'cancelled';
        await replica.abandonTraining();
        log.info('training_abandoned', { window: request.window.toString(), result });
      }
      done(result);
      release();
    }
  };
}
