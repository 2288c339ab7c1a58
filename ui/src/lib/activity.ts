// Idle lock on the UI side: the engine locks on its own clock too, but the UI must not leave
// personal data on screen when the operator walks away, and must tell the engine about activity.

export interface IdleOptions {
  idleMs: number;
  /** At most one `touch` per this many ms: key presses come in bursts. */
  touchEveryMs: number;
  now: () => number;
  touch: () => void;
  onIdle: () => void;
}

export class IdleWatcher {
  private lastActivity: number;
  private lastTouch = -Infinity;
  private fired = false;

  constructor(private o: IdleOptions) {
    this.lastActivity = o.now();
  }

  setIdleMs(ms: number): void {
    this.o.idleMs = ms;
  }

  activity(): void {
    const now = this.o.now();
    this.lastActivity = now;
    this.fired = false;
    if (now - this.lastTouch >= this.o.touchEveryMs) {
      this.lastTouch = now;
      this.o.touch();
    }
  }

  /** Called periodically; fires onIdle once per idle period. */
  tick(): void {
    if (this.fired || this.o.idleMs <= 0) return;
    if (this.o.now() - this.lastActivity >= this.o.idleMs) {
      this.fired = true;
      this.o.onIdle();
    }
  }
}
