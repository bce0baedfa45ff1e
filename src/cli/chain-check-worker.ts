import { parentPort, workerData } from 'node:worker_threads';
import { ChainHasher } from '../audit/trail/hash-chain.js';
import type { ChainCheckRequest } from './chain-check-thread.js';
import { verifyTrail } from './trail-verifier.js';

// The chain check of `verify --public-key`, on its own thread so it runs beside the tree check (issue 13).
// Its report is plain data; a throw here reaches the main thread as the Worker's 'error' event.
const request = workerData as ChainCheckRequest;
const report = await verifyTrail(request.dir, { hasher: new ChainHasher(request.hmacKey), headPath: request.headPath });
parentPort!.postMessage(report);
