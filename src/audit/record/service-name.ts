import type { Resource } from '@opentelemetry/resources';

/**
 * The resource's `service.name`, read without waiting. A NodeSDK's resource
 * detectors (host, process, ...) may still be running when the first records
 * are written, and reading `attributes` then logs an error for each record.
 * The service name is set synchronously (serviceName, OTEL_SERVICE_NAME), so
 * the first settled value is the one the SDK exports too (the first one
 * wins, as in the resource's own reading).
 */
export function serviceNameOf(resource: Resource): string {
  if (!resource.asyncAttributesPending) return String(resource.attributes['service.name'] ?? 'unknown_service');
  const settled = resource
    .getRawAttributes()
    .find(([key, value]) => key === 'service.name' && value !== undefined && typeof (value as { then?: unknown }).then !== 'function');
  return String(settled?.[1] ?? 'unknown_service');
}
