/**
 * The sandbox's clock. Every simulated duration (a pipeline stage, a training epoch, a container
 * start) is measured on it, so a test can run a whole run in seconds by raising `speed` or by
 * jumping it forward with `advance`.
 */
export class SandboxClock {
  private realAnchor = Date.now();
  private simAnchor = Date.now();
  private speedFactor: number;

  constructor(speed = 1) {
    this.speedFactor = speed;
  }

  now(): number {
    return this.simAnchor + (Date.now() - this.realAnchor) * this.speedFactor;
  }

  get speed(): number {
    return this.speedFactor;
  }

  setSpeed(speed: number): void {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error('speed must be a positive number');
    this.simAnchor = this.now();
    this.realAnchor = Date.now();
    this.speedFactor = speed;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error('advance takes a non-negative number of ms');
    this.simAnchor += ms;
  }

  /** Real milliseconds until the simulated time `simMs` from now. */
  realDelay(simMs: number): number {
    return Math.max(0, simMs / this.speedFactor);
  }

  toJSON(): { now: string; speed: number } {
    return { now: new Date(this.now()).toISOString(), speed: this.speedFactor };
  }
}
