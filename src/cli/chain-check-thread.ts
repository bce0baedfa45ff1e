import { Worker } from 'node:worker_threads';
import type { VerifyReport } from './trail-verifier.js';

/** What the chain check needs: all of it survives the structured clone to the worker. */
export interface ChainCheckRequest {
  dir: string;
  hmacKey: string | undefined;
  headPath: string | null | undefined;
}

export interface ChainCheck {
  report: Promise<VerifyReport>;
  /** Ends the worker if it is still running (the other check failed): the process must not wait for a result no one reads. */
  stop(): Promise<void>;
}

// Next to this module both in dist/src/cli and in the installed package.
const WORKER = new URL('./chain-check-worker.js', import.meta.url);

/**
 * Runs `verifyTrail` on a worker thread, so `verify --public-key` checks the chain and the signed tree on two
 * cores at once. Every way the worker can end without a report (it could not load, it threw, it exited) rejects
 * the report with a message saying so: the command then reports it could not run, and never waits for ever.
 */
export function startChainCheck(request: ChainCheckRequest): ChainCheck {
  let worker: Worker | undefined;
  const report = new Promise<VerifyReport>((resolve, reject) => {
    try {
      worker = new Worker(WORKER, { workerData: request, stdout: false, stderr: false });
    } catch (error) {
      reject(new Error(`the chain check could not start: ${(error as Error).message}`));
      return;
    }
    let settled = false;
    worker.once('message', (message: VerifyReport) => {
      settled = true;
      resolve(message);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(new Error(`the chain check failed: ${error.message}`));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the chain check ended (exit code ${code}) without a report`));
    });
  });
  return {
    report,
    stop: async () => {
      await worker?.terminate();
    },
  };
}
