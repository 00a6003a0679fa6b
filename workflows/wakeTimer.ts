// The lead's wake-up timer, whose deadline moves (samples-typescript's updatable-timer): while the
// deadline stays, the running timer is kept, so an input that changes nothing due costs no timer
// cancel and restart in the history; when it moves, the old timer is cancelled and a new one started.
import { CancellationScope, sleep } from '@temporalio/workflow';

interface RunningTimer {
  at: number;
  fired: boolean;
  scope: CancellationScope;
}

export class WakeTimer {
  private running?: RunningTimer;

  /** Whether the timer for the current deadline has fired. */
  get fired(): boolean {
    return this.running?.fired === true;
  }

  /** Wakes at `at` (epoch ms, workflow time), or never when undefined. */
  set(at: number | undefined): void {
    if (this.running && this.running.at === at && !this.running.fired) return;
    this.running?.scope.cancel();
    this.running = undefined;
    if (at === undefined) return;
    const timer: RunningTimer = { at, fired: false, scope: new CancellationScope() };
    timer.scope.run(() => sleep(at - Date.now())).then(
      () => void (timer.fired = true),
      () => undefined, // cancelled: the deadline moved
    );
    this.running = timer;
  }
}
