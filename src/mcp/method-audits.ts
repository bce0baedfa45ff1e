import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_RESOURCE_URI,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from '@opentelemetry/semantic-conventions/incubating';
import { PROMPT_GET_ACTION, RESOURCE_READ_ACTION, TOOL_CALL_ACTION, TOOLS_LIST_ACTION } from '../audit/record/audit-record.js';
import { captureArguments, toolCapturePolicy, type CapturePolicy } from '../audit/record/capture-levels.js';
import type { Redactor } from '../audit/redaction/redactor.js';
import { redactAndTruncate, summarizeValue, type SummaryLimits, type SummaryReport } from '../audit/record/summarize.js';
import type { ToolAuditOptions } from './tool-audit-options.js';
import type { RawRequest } from './sdk-internals.js';
import { captureResult, isCallToolResult, toolErrorMessage } from './tool-call-result.js';

export type RequestParams = NonNullable<RawRequest['params']>;

/** The input fields a tool declares, or undefined for a tool the caller does not know. */
export type DeclaredInputFields = (toolName: string) => readonly string[] | undefined;

/** What differs between the audited methods. */
export interface RequestAudit {
  action: string;
  /** The span is named `<method> <target>` (OTel MCP conventions). */
  target: string | null;
  toolName: string | null;
  attributes: Attributes;
  capture: CapturePolicy | null;
  /** Runs before the handler; its output is the record's input_summary. */
  summarizeInput(): Record<string, unknown>;
  /** A handler that returned can still have failed (an `isError` tool result). */
  outcomeOf(result: unknown): { resultSummary: string | null } | { failure: string; type: string };
}

/** What a request's audit says about it: see MethodAudits. */
export type DescribeRequest = (params: RequestParams, report: SummaryReport) => RequestAudit;

function countOf(result: unknown, field: string): number {
  const items = (result as Record<string, unknown> | null)?.[field];
  return Array.isArray(items) ? items.length : 0;
}

/**
 * For each audited method, what its record and span say: the target, the
 * input at its capture level, and the outcome. Every client-typed string
 * (tool and prompt names, URIs) is redacted like any input. It knows tools
 * only through `declaredFields`: an McpServer's registry when embedded, the
 * `tools/list` results seen on the wire in the proxy.
 */
export class MethodAudits {
  private readonly toolCapture: Map<string, CapturePolicy>;

  constructor(
    private readonly declaredFields: DeclaredInputFields,
    private readonly tools: Record<string, ToolAuditOptions>,
    private readonly globalCapture: CapturePolicy,
    private readonly limits: SummaryLimits,
    private readonly redactor: Redactor,
  ) {
    // Resolved now, so a misspelt level fails at startup rather than on the first call.
    this.toolCapture = new Map(Object.entries(tools).map(([name, tool]) => [name, toolCapturePolicy(globalCapture, tool.capture, name)]));
  }

  readonly toolCall = (params: RequestParams, report: SummaryReport): RequestAudit => {
    const name = typeof params.name === 'string' ? params.name : null;
    const toolName = name === null ? null : this.clean(name, report);
    const tool = name !== null && Object.hasOwn(this.tools, name) ? this.tools[name] : undefined;
    const capture = (name !== null && this.toolCapture.get(name)) || this.globalCapture;
    const attributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL };
    if (toolName) attributes[ATTR_GEN_AI_TOOL_NAME] = toolName;
    return {
      action: TOOL_CALL_ACTION,
      target: toolName,
      toolName,
      attributes,
      capture,
      summarizeInput: () => this.toolInput(name, tool, capture, params.arguments, report),
      outcomeOf: (result) => {
        if (isCallToolResult(result) && result.isError) return { failure: toolErrorMessage(result), type: 'tool_error' };
        const options = { limits: this.limits, redactor: this.redactor, report };
        return { resultSummary: isCallToolResult(result) ? captureResult(capture.result, result, tool?.summarizeResult, options) : null };
      },
    };
  };

  readonly resourceRead = (params: RequestParams, report: SummaryReport): RequestAudit => {
    // Resource URIs can carry credentials in their query string.
    const uri = typeof params['uri'] === 'string' ? this.clean(params['uri'], report) : null;
    return {
      action: RESOURCE_READ_ACTION,
      target: uri,
      toolName: null,
      attributes: uri ? { [ATTR_MCP_RESOURCE_URI]: uri } : {},
      capture: null,
      summarizeInput: () => (uri === null ? {} : { uri }),
      outcomeOf: (result) => ({ resultSummary: `${countOf(result, 'contents')} contents` }),
    };
  };

  readonly promptGet = (params: RequestParams, report: SummaryReport): RequestAudit => {
    const name = typeof params.name === 'string' ? this.clean(params.name, report) : null;
    const args = params.arguments;
    const fields = args && typeof args === 'object' ? Object.keys(args) : [];
    const input = this.globalCapture.input;
    return {
      action: PROMPT_GET_ACTION,
      target: name,
      toolName: null,
      attributes: name ? { [ATTR_GEN_AI_PROMPT_NAME]: name } : {},
      capture: { input, result: 'metadata' },
      summarizeInput: () => ({ prompt: name, ...captureArguments(input, args, fields, { limits: this.limits, redactor: this.redactor, report }) }),
      outcomeOf: (result) => ({ resultSummary: `${countOf(result, 'messages')} messages` }),
    };
  };

  readonly toolsList = (): RequestAudit => ({
    action: TOOLS_LIST_ACTION,
    target: null,
    toolName: null,
    attributes: {},
    capture: null,
    summarizeInput: () => ({}),
    outcomeOf: (result) => ({ resultSummary: `${countOf(result, 'tools')} tools` }),
  });

  /** The methods that get a record of their own, each with its description; tools/list only if asked. */
  auditedMethods(recordToolsList: boolean): Map<string, (params: RequestParams, report: SummaryReport) => RequestAudit> {
    const methods = new Map([
      ['tools/call', this.toolCall],
      ['resources/read', this.resourceRead],
      ['prompts/get', this.promptGet],
    ]);
    if (recordToolsList) methods.set('tools/list', this.toolsList);
    return methods;
  }

  clean(text: string, report: SummaryReport): string {
    return redactAndTruncate(text, { limits: this.limits, redactor: this.redactor, report });
  }

  private toolInput(name: string | null, tool: ToolAuditOptions | undefined, capture: CapturePolicy, args: unknown, report: SummaryReport) {
    const options = { limits: this.limits, redactor: this.redactor, report };
    if (capture.input === 'summary' && tool?.summarizeInput && args && typeof args === 'object') {
      try {
        return summarizeValue(tool.summarizeInput(args as Record<string, unknown>), options) as Record<string, unknown>;
      } catch {
        // A broken summariser must not fail the call or lose the record: fall back to the default.
      }
    }
    const fields = name ? this.declaredFields(name) : undefined;
    return captureArguments(capture.input, args, fields ?? [], options);
  }
}
