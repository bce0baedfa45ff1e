import type { ChildProcess } from 'node:child_process';
import { after } from 'node:test';

const running = new Set<ChildProcess>();
// A test that fails or times out half-way must not leave its child running: the test file would never end, and the
// suite would hang instead of failing.
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** `child`, killed once the test file's tests are done if it is still running then. */
export function killedAfterTests<Child extends ChildProcess>(child: Child): Child {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}
