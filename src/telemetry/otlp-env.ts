/**
 * The standard OpenTelemetry environment rules for OTLP/HTTP forwarding.
 * Once the audit processor is registered in code the SDK no longer reads
 * OTEL_TRACES_EXPORTER for us, so the same rules are applied here.
 * Headers, timeout and compression are left to the exporter, which reads
 * OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS / _TIMEOUT / _COMPRESSION itself.
 */
export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type OtlpSignal = 'traces' | 'metrics';

export interface OtlpTarget {
  protocol: OtlpProtocol;
  /** The full URL the exporter posts to, e.g. http://localhost:4318/v1/traces. */
  url: string;
}

type Env = Record<string, string | undefined>;

const DEFAULT_BASE_URL = 'http://localhost:4318';

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** OTEL_SDK_DISABLED=true: forwarding (and OTLP metrics) off; the audit trail is not affected. */
export function sdkDisabled(env: Env = process.env): boolean {
  return read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
}

/**
 * Where and how to forward `signal`, or null when the environment does not
 * ask for it. On when OTEL_<SIGNAL>_EXPORTER names otlp, or when it is unset
 * and an OTLP endpoint is configured; `none` (or any list without otlp) wins.
 * Throws a clear error for a protocol this package cannot speak.
 */
export function otlpTargetFromEnv(signal: OtlpSignal, env: Env = process.env): OtlpTarget | null {
  if (sdkDisabled(env)) return null;
  const upper = signal.toUpperCase();
  const specificEndpoint = read(env, `OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`);
  const baseEndpoint = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporters = read(env, `OTEL_${upper}_EXPORTER`);
  const enabled =
    exporters === undefined
      ? specificEndpoint !== undefined || baseEndpoint !== undefined
      : exporters
          .split(',')
          .map((name) => name.trim().toLowerCase())
          .includes('otlp');
  if (!enabled) return null;

  const protocol = read(env, `OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`) ?? read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported for ${signal}: use http/protobuf or http/json (OTLP over HTTP, port 4318)`,
    );
  }
  // The signal-specific endpoint is used as is; the base one gets /v1/<signal> appended.
  const url = specificEndpoint ?? `${(baseEndpoint ?? DEFAULT_BASE_URL).replace(/\/+$/, '')}/v1/${signal}`;
  try {
    new URL(url);
  } catch {
    throw new Error(`OTLP ${signal} endpoint "${url}" is not a valid URL`);
  }
  return { protocol, url };
}
