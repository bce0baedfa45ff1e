/**
 * One process listener for an event, however many trails want it: each
 * startAuditTrail() adding its own 'exit' and 'SIGHUP' listener made Node
 * warn (MaxListenersExceededWarning) from the eleventh trail on, in tests and
 * in programs that start one trail per tenant.
 */
export class SharedProcessListener {
  private readonly callbacks = new Set<() => void>();
  private readonly fire = (): void => {
    for (const callback of [...this.callbacks]) {
      try {
        callback();
      } catch (error) {
        // One trail's failure must not keep the others from flushing.
        process.stderr.write(`audit: ${this.event} handler failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  };

  constructor(private readonly event: 'exit' | 'SIGHUP') {}

  add(callback: () => void): void {
    if (this.callbacks.size === 0) process.on(this.event, this.fire);
    this.callbacks.add(callback);
  }

  delete(callback: () => void): void {
    if (!this.callbacks.delete(callback)) return;
    if (this.callbacks.size === 0) process.off(this.event, this.fire);
  }
}

/** Anything still pending when the process exits is written synchronously. */
export const onProcessExit = new SharedProcessListener('exit');
/** logrotate's `postrotate` sends SIGHUP: reopen the audit files. */
export const onSighup = new SharedProcessListener('SIGHUP');
