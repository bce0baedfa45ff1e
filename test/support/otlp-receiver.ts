import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';

/**
 * The OTLP trace messages this receiver decodes (ExportTraceServiceRequest
 * and what it contains), with the field numbers of opentelemetry-proto's
 * trace.proto, common.proto and resource.proto. Fields the tests do not
 * read (events, links, dropped counts) are left out; protobuf skips them.
 */
const OTLP_TRACE_SCHEMA = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
`;
const ExportTraceServiceRequest = protobuf.parse(OTLP_TRACE_SCHEMA, { keepCase: false }).root.lookupType('otlp.ExportTraceServiceRequest');

/**
 * The OTLP metric messages (ExportMetricsServiceRequest down to histogram
 * data points), field numbers from opentelemetry-proto's metrics.proto.
 * Gauges, sums, exponential histograms and exemplars are left out.
 */
const OTLP_METRICS_SCHEMA = `
syntax = "proto3";
package otlp;
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Metric { string name = 1; string description = 2; string unit = 3; Histogram histogram = 9; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message HistogramDataPoint {
  fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3; fixed64 count = 4; optional double sum = 5;
  repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7; repeated KeyValue attributes = 9;
  optional double min = 11; optional double max = 12;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
`;
const ExportMetricsServiceRequest = protobuf.parse(OTLP_METRICS_SCHEMA, { keepCase: false }).root.lookupType('otlp.ExportMetricsServiceRequest');

/** A span as received, in one shape for both encodings. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 2 = SERVER. */
  kind: number;
  /** OTLP StatusCode: 2 = ERROR. */
  statusCode: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export type ReceiverMode = 'ok' | 'fail-500' | 'hang';

interface AnyValueJson {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValueJson[] };
}
interface KeyValueJson {
  key: string;
  value?: AnyValueJson;
}

function anyValueOf(value: AnyValueJson | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(anyValueOf);
  return undefined;
}

function attributesOf(list: KeyValueJson[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((entry) => [entry.key, anyValueOf(entry.value)]));
}

interface RequestJson {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValueJson[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: KeyValueJson[];
        status?: { code?: number };
      }>;
    }>;
  }>;
}

/**
 * Both encodings normalised to the proto3 JSON mapping: the protobuf
 * decoder gives ids as base64 bytes, OTLP/JSON gives them as hex.
 */
function spansOf(request: RequestJson, idsAreBase64: boolean): ReceivedSpan[] {
  const id = (value: string): string => (idsAreBase64 ? Buffer.from(value, 'base64').toString('hex') : value);
  return (request.resourceSpans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: id(span.traceId),
        spanId: id(span.spanId),
        parentSpanId: span.parentSpanId ? id(span.parentSpanId) : '',
        name: span.name,
        kind: span.kind,
        statusCode: span.status?.code ?? 0,
        attributes: attributesOf(span.attributes),
        resource: attributesOf(resourceSpans.resource?.attributes),
      })),
    ),
  );
}

function bodyOf(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A real OTLP/HTTP trace receiver on 127.0.0.1, decoding http/protobuf and http/json. */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly contentTypes: string[] = [];
  /** Metric export requests in the proto3 JSON mapping, decoded from http/json or http/protobuf. */
  readonly metricRequests: unknown[] = [];
  /** The path of every request received, in order. */
  readonly paths: string[] = [];
  readonly headers: IncomingMessage['headers'][] = [];
  /** Every request body as received: a string sent in either encoding is in here byte for byte. */
  readonly bodies: Buffer[] = [];
  private readonly server: Server;

  private constructor(private readonly mode: ReceiverMode) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(mode: ReceiverMode = 'ok'): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver(mode);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const body = await bodyOf(req);
    this.paths.push(req.url ?? '');
    this.headers.push(req.headers);
    this.bodies.push(body);
    if (this.mode === 'hang') return; // never answers: the exporter must time out
    if (this.mode === 'fail-500') {
      res.writeHead(500).end('collector failure');
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    this.contentTypes.push(contentType);
    if (req.url === '/v1/metrics' && contentType.startsWith('application/json')) {
      this.metricRequests.push(JSON.parse(body.toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (req.url === '/v1/metrics' && contentType.startsWith('application/x-protobuf')) {
      const message = ExportMetricsServiceRequest.decode(body);
      // Longs as strings, as the JSON mapping gives fixed64 counts; arrays kept even when empty.
      this.metricRequests.push(ExportMetricsServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String, arrays: true }));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      return;
    }
    if (req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (contentType.startsWith('application/x-protobuf')) {
      const message = ExportTraceServiceRequest.decode(body);
      const asJson = ExportTraceServiceRequest.toObject(message, { bytes: String, longs: String, enums: Number, defaults: false });
      this.spans.push(...spansOf(asJson as RequestJson, true));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } else {
      this.spans.push(...spansOf(JSON.parse(body.toString('utf8')) as RequestJson, false));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
  }
}

/** A URL on 127.0.0.1 where nothing listens: a collector that is down. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
