import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { INTERNAL_ERROR } from '../mcp/json-rpc.js';
import type { OversizedBodyRecorder } from './oversized-body-records.js';

export { INTERNAL_ERROR };

/** JSON-RPC error codes used by the HTTP front. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
/** Server-defined: refused for a reason of the HTTP layer (auth, capacity, session). */
export const REFUSED = -32001;

/** Every answer of the HTTP front is a JSON-RPC error object, never an HTML page. */
export function sendJsonRpcError(res: Response, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * The JSON body parser, capped at `maxBytes`. A declared Content-Length over
 * the cap is refused, once `recordOversized` has written its record, before
 * a byte of the body is read; the connection is then closed rather than drained.
 */
export function jsonBody(maxBytes: number, recordOversized: OversizedBodyRecorder): RequestHandler[] {
  const tooLarge: RequestHandler = async (req, res, next) => {
    const declared = Number(req.headers['content-length']);
    if (!(declared > maxBytes)) return next();
    await recordOversized(req, declared);
    sendJsonRpcError(res, 413, INVALID_REQUEST, `Request body larger than ${maxBytes} bytes (MCP_MAX_BODY_BYTES)`, { Connection: 'close' });
  };
  // The SDK transport reads any body whose type merely contains application/json itself (with its own 4 MB cap): parse those here, under ours.
  const isJson = (req: { headers: { 'content-type'?: string | undefined } }): boolean =>
    (req.headers['content-type'] ?? '').includes('application/json');
  return [tooLarge, express.json({ limit: maxBytes, type: isJson })];
}

/**
 * Replaces Express's default error page (HTML, with a stack trace outside
 * production, and the stack on stderr): a body that is not JSON gets 400 and
 * a JSON-RPC parse error; other client errors their status; anything else
 * 500 and one line on stderr.
 */
export function jsonErrors(maxBytes: number, recordOversized: OversizedBodyRecorder): ErrorRequestHandler {
  return async (error: unknown, req, res, _next) => {
    const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (type === 'entity.parse.failed') return sendJsonRpcError(res, 400, PARSE_ERROR, 'Parse error: the request body is not valid JSON');
    if (type === 'entity.too.large') {
      // A body with no declared length (chunked) that grew past the cap while it was read.
      await recordOversized(req, null);
      return sendJsonRpcError(res, 413, INVALID_REQUEST, `Request body larger than ${maxBytes} bytes (MCP_MAX_BODY_BYTES)`, { Connection: 'close' });
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendJsonRpcError(res, status, INVALID_REQUEST, `Bad Request: ${typeof type === 'string' ? type : 'unreadable request'}`);
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mcp-audit: HTTP request failed: ${message.split('\n')[0]}\n`);
    sendJsonRpcError(res, 500, INTERNAL_ERROR, 'Internal server error');
  };
}

/** Any path but /mcp. */
export const notFound: RequestHandler = (_req, res) => sendJsonRpcError(res, 404, INVALID_REQUEST, 'Not found: the MCP endpoint is /mcp');
