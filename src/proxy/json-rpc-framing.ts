import { isJsonRpcPayload, type JsonRpcMessage } from '../mcp/json-rpc.js';
import { lineText } from '../mcp/line-splitter.js';

export type DecodedLine =
  | { kind: 'message'; payload: JsonRpcMessage | JsonRpcMessage[] }
  | { kind: 'blank' }
  | { kind: 'not-json-rpc'; text: string };

/** What one line holds: a JSON-RPC message or batch, nothing, or something else (noise, or not JSON at all). */
export function decodeLine(line: Buffer): DecodedLine {
  const text = lineText(line);
  if (text.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'not-json-rpc', text };
  }
  return isJsonRpcPayload(value) ? { kind: 'message', payload: value } : { kind: 'not-json-rpc', text };
}
