import type { MinerSnapshot } from '@cohort/core';
import { WindowPhase } from '@cohort/proto/cohort/coordinator/v1/coordinator';

/** The status RPC's phase of a miner loop snapshot (waiting: behind the chain, asking for A_s). */
export function phaseOf(s: MinerSnapshot): WindowPhase {
  switch (s.phase) {
    case 'unsynced':
    case 'syncing':
      return WindowPhase.SYNCING;
    case 'training':
      return WindowPhase.TRAINING;
    case 'publishing':
      return WindowPhase.UPLOADING;
    case 'applying':
      return WindowPhase.APPLYING;
    case 'idle':
      return s.stateWindow !== undefined && s.chainWindow !== undefined && s.stateWindow < s.chainWindow
        ? WindowPhase.WAITING_AGGREGATE
        : WindowPhase.IDLE;
  }
}
