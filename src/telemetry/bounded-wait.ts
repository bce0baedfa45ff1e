/**
 * How long a flush or shutdown waits for a collector: its exporter retries a
 * collector that is down or slow for up to its timeout (10 s), longer than a
 * process being stopped has (clients stop a stdio server that lingers).
 */
export const COLLECTOR_WAIT_MS = 1500;

/**
 * Waits for `work` for `ms` at most; a rejection counts as done (its failure
 * is reported where it happens). Resolves true if the work finished in time.
 */
export async function finishedWithin(work: Promise<unknown>, ms: number = COLLECTOR_WAIT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const finished = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    timedOut,
  ]);
  clearTimeout(timer);
  return finished;
}
