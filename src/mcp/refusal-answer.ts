import { errorResponse, INTERNAL_ERROR, type JsonRpcResponse } from './json-rpc.js';
import type { RejectedMessage } from './message-screen.js';
import { auditWriteFailure } from './tool-call-result.js';

/** What became of a refused message's record: undefined once it is written (or no record is awaited), else why it could not be. */
export type RecordLoss = { error: unknown } | undefined;

/**
 * The answer to a refused message: its own error once its record is
 * written. If the record could not be written, fail closed as for a
 * tools/call: a refusal carries no result to withhold, so what the client
 * must learn is that its request left no trace. It gets the internal error
 * every lost record gets (`Audit record could not be written (…)`), still
 * naming what was wrong with the message.
 */
export function refusalAnswer(rejected: RejectedMessage, loss: RecordLoss): JsonRpcResponse {
  if (!loss) return errorResponse(rejected.id, rejected.code, rejected.message);
  return errorResponse(rejected.id, INTERNAL_ERROR, auditWriteFailure(loss.error, `the request is refused all the same (${rejected.message})`));
}

/** The answers to refused messages (none for a notification), once their records are written or lost. */
export function refusalAnswers(refused: readonly RejectedMessage[], losses: readonly RecordLoss[]): JsonRpcResponse[] {
  return refused.flatMap((rejected, index) => (rejected.answered ? [refusalAnswer(rejected, losses[index])] : []));
}

/**
 * The body of an HTTP answer refusing a POST: the answers (an array for a
 * batch). A POST of notifications only, which JSON-RPC never answers, still
 * needs a body: the first problem, with id null.
 */
export function refusalBody(refused: readonly RejectedMessage[], losses: readonly RecordLoss[], batch: boolean): JsonRpcResponse | JsonRpcResponse[] {
  const answers = refusalAnswers(refused, losses);
  if (answers.length === 0) return refusalAnswer({ ...refused[0]!, id: null }, losses[0]);
  return batch ? answers : answers[0]!;
}
