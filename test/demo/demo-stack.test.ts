// The docker-compose demo cannot run here (no Docker engine), so it is
// checked statically: every file parses, dclint accepts the compose file,
// and names, hosts, ports, paths and uids line up between compose, the
// collector, Tempo/Loki/Prometheus, Grafana provisioning, the dashboard and
// what the app itself emits.
import { METRIC_MCP_SERVER_OPERATION_DURATION } from '@opentelemetry/semantic-conventions/incubating';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { auditFileNameFor, startAuditTrail } from '../../src/index.js';
import { METRIC_ATTRIBUTES } from '../../src/telemetry/operation-duration-processor.js';
import { makeTempDir, readTrailLines } from '../support/trail-files.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
/** A parsed config document, checked field by field below. */
type Doc = any;
const yaml = (path: string): Doc => parse(read(path), { merge: true });

const compose = yaml('docker-compose.yml');
const services: Record<string, Doc> = compose.services;
const collector = yaml('otel/collector.yaml');
const tempo = yaml('otel/tempo.yaml');
const loki = yaml('otel/loki.yaml');
const prometheus = yaml('otel/prometheus.yaml');
const datasources: Doc[] = yaml('grafana/provisioning/datasources/datasources.yaml').datasources;
const dashboardProviders: Doc[] = yaml('grafana/provisioning/dashboards/mcp.yaml').providers;
const dashboard = JSON.parse(read('grafana/dashboards/mcp-tool-calls.json'));

const inProfile = (profile: string): string[] => Object.keys(services).filter((name) => (services[name].profiles ?? []).includes(profile));
const portOf = (endpoint: string): number => Number(/:(\d+)(\/|$)/.exec(endpoint)?.[1]);
const hostOf = (url: string): string => new URL(url.includes('://') ? url : `tcp://${url}`).hostname;
/** `./host/path:/container/path[:ro]` → [host, container]. */
const mounts = (service: string): Array<[string, string]> =>
  (services[service].volumes ?? []).map((volume: string) => volume.split(':').slice(0, 2) as [string, string]);
const mountTarget = (service: string, hostPath: string): string | undefined => mounts(service).find(([source]) => source === hostPath)?.[1];
const argValue = (service: string, flag: string): string | undefined => {
  const args: string[] = services[service].command ?? [];
  return args.find((arg) => arg.startsWith(`${flag}=`))?.slice(flag.length + 1);
};

function dclint(file: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(root, 'node_modules/dclint/bin/dclint.cjs'), file], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('dclint accepts docker-compose.yml, and does reject a compose file with a port published on every interface', () => {
  const { status, output } = dclint(join(root, 'docker-compose.yml'));
  assert.equal(status, 0, output);
  const broken = join(makeTempDir('dclint'), 'docker-compose.yml');
  const unbound = read('docker-compose.yml').replace("'127.0.0.1:16686:16686'", "'16686:16686'");
  assert.notEqual(unbound, read('docker-compose.yml'));
  writeFileSync(broken, unbound);
  assert.notEqual(dclint(broken).status, 0);
});

test('every image is pinned to a version tag, in compose and in the Dockerfile', () => {
  const images = Object.values(services)
    .filter((service) => service.image)
    .map((service) => service.image as string);
  images.push(...[...read('Dockerfile').matchAll(/^FROM (\S+)/gm)].map((match) => match[1]!));
  assert.ok(images.length >= 7);
  for (const image of images) assert.match(image, /^[\w./-]+:v?\d+\.\d+\.\d+[\w.-]*$/, `${image} is not pinned`);
});

test('the Dockerfile copies files that exist and builds the entry points compose runs', () => {
  const dockerfile = read('Dockerfile');
  for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const source of sources!.split(' ')) assert.ok(existsSync(join(root, source)), `COPY ${source}`);
  }
  const buildConfig = /tsc -p (\S+)/.exec(dockerfile)?.[1];
  assert.ok(buildConfig && existsSync(join(root, buildConfig)));
  const include: string[] = JSON.parse(read(buildConfig)).include;
  const entryPoints = [
    JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]!).at(-1),
    ...Object.values(services)
      .filter((service) => service.command && service.build)
      .map((service) => service.command.at(-1)),
  ];
  assert.ok(entryPoints.length >= 3);
  for (const entry of entryPoints as string[]) {
    const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    assert.ok(existsSync(join(root, source)), `${entry} has no source ${source}`);
    assert.ok(
      include.some((pattern) => source.startsWith(pattern.split('*')[0]!)),
      `${source} is not compiled by ${buildConfig}`,
    );
  }
});

test('each profile runs the server over HTTP, a load generator that reaches it, and a backend for its OTLP endpoint', () => {
  assert.deepEqual(new Set(Object.values(services).flatMap((service) => service.profiles)), new Set(['jaeger', 'grafana']));
  for (const profile of ['jaeger', 'grafana']) {
    const names = inProfile(profile);
    for (const name of names) {
      for (const dependency of services[name].depends_on ?? [])
        assert.ok(names.includes(dependency), `${name} depends on ${dependency}, not in profile ${profile}`);
    }
    const servers = names.filter((name) => services[name].environment?.MCP_TRANSPORT === 'http');
    assert.equal(servers.length, 1, profile);
    const server = servers[0]!;
    const env = services[server].environment;
    assert.ok(services[server].build);
    assert.equal(env.HOST, '0.0.0.0');
    const loadgen = names.find((name) => services[name].environment?.MCP_URL)!;
    const target = new URL(services[loadgen].environment.MCP_URL);
    assert.equal(target.hostname, server);
    assert.equal(target.port, env.PORT);
    assert.equal(target.pathname, '/mcp');
    assert.ok(env.MCP_ALLOWED_HOSTS.split(',').includes(server), 'the Host check must accept the name the load generator uses');
    assert.ok(env.MCP_AUTH_TOKENS.split(',').some((pair: string) => pair.split('=')[0] === services[loadgen].environment.MCP_TOKEN));
    assert.ok(services[loadgen].command.join(' ').includes('dist/src/demo/load-generator.js'));
    assert.ok(existsSync(join(root, 'src/demo/load-generator.ts')));

    const otlp = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
    assert.ok(names.includes(otlp.hostname), `${otlp.hostname} is not a service of profile ${profile}`);
    const backend = services[otlp.hostname];
    if (backend.image.startsWith('jaegertracing/jaeger:')) {
      assert.equal(otlp.port, '4318'); // Jaeger v2's OTLP/HTTP port
      assert.equal(env.OTEL_METRICS_EXPORTER, 'none', 'Jaeger takes no metrics');
    } else {
      assert.equal(portOf(collector.receivers.otlp.protocols.http.endpoint), Number(otlp.port));
    }
    // The trail outlives the containers: ./logs on the host is the server's AUDIT_LOG_DIR.
    assert.equal(mountTarget(server, './logs'), env.AUDIT_LOG_DIR);
  }
});

test('every mounted file exists, and each service reads its config from where it is mounted', () => {
  for (const name of Object.keys(services)) {
    for (const [source] of mounts(name)) {
      // ./logs is the trail, made by the server; a name without a path is a named volume.
      if (source !== './logs' && /^[./]/.test(source)) assert.ok(existsSync(join(root, source)), `${name} mounts missing ${source}`);
    }
  }
  assert.equal(argValue('otel-collector', '--config'), mountTarget('otel-collector', './otel/collector.yaml'));
  assert.equal(argValue('tempo', '-config.file'), mountTarget('tempo', './otel/tempo.yaml'));
  assert.equal(argValue('loki', '-config.file'), mountTarget('loki', './otel/loki.yaml'));
  assert.equal(argValue('prometheus', '--config.file'), mountTarget('prometheus', './otel/prometheus.yaml'));
  assert.equal(mountTarget('grafana', './grafana/provisioning'), '/etc/grafana/provisioning');
});

test('every collector pipeline uses defined components, named as collector-contrib 0.147 names them', () => {
  assert.match(services['otel-collector'].image, /^otel\/opentelemetry-collector-contrib:0\.147\./);
  const known = {
    receivers: ['otlp', 'filelog'],
    processors: [] as string[],
    exporters: ['otlp_grpc', 'otlp_http', 'prometheus'],
    extensions: ['file_storage'],
  };
  for (const kind of ['receivers', 'processors', 'exporters', 'extensions'] as const) {
    for (const id of Object.keys(collector[kind] ?? {}))
      assert.ok(
        known[kind].includes(id.split('/')[0]!),
        `${kind}: ${id} is not a ${kind.slice(0, -1)} of the pinned collector (or is a deprecated alias)`,
      );
  }
  const pipelines: Record<string, Doc> = collector.service.pipelines;
  assert.deepEqual(Object.keys(pipelines).sort(), ['logs', 'metrics', 'traces']);
  for (const [name, pipeline] of Object.entries(pipelines)) {
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const id of pipeline[kind] ?? [])
        assert.ok(collector[kind]?.[id] !== undefined, `pipeline ${name} uses undefined ${kind.slice(0, -1)} ${id}`);
    }
  }
  const used = new Set(Object.values(pipelines).flatMap((pipeline) => [...pipeline.receivers, ...(pipeline.exporters ?? [])]));
  for (const id of [...Object.keys(collector.receivers), ...Object.keys(collector.exporters)])
    assert.ok(used.has(id), `${id} is defined but in no pipeline`);
  for (const id of collector.service.extensions ?? [])
    assert.ok(collector.extensions?.[id] !== undefined, `service enables undefined extension ${id}`);
});

test('collector exporters reach Tempo, Loki and the Prometheus scrape on the hosts and ports those services use', () => {
  const grafanaServices = inProfile('grafana');
  const tempoExporter = collector.exporters['otlp_grpc/tempo'].endpoint as string;
  assert.ok(grafanaServices.includes(hostOf(tempoExporter)));
  assert.equal(portOf(tempoExporter), portOf(tempo.distributor.receivers.otlp.protocols.grpc.endpoint));
  assert.equal(collector.service.pipelines.traces.exporters[0], 'otlp_grpc/tempo');

  const lokiExporter = new URL(collector.exporters['otlp_http/loki'].endpoint);
  assert.ok(grafanaServices.includes(lokiExporter.hostname));
  assert.equal(Number(lokiExporter.port), loki.server.http_listen_port);
  assert.equal(lokiExporter.pathname, '/otlp');
  assert.equal(loki.limits_config.allow_structured_metadata, true);

  const scrapeTargets: string[] = prometheus.scrape_configs.flatMap((job: Doc) => job.static_configs.flatMap((config: Doc) => config.targets));
  assert.deepEqual(scrapeTargets, [`otel-collector:${portOf(collector.exporters.prometheus.endpoint)}`]);
  assert.ok(grafanaServices.includes('otel-collector'));
  // The collector must expose the names the app's own endpoint does (no unit suffix): one dashboard for both.
  // translation_strategy replaces the deprecated add_metric_suffixes, which is ignored once it is set.
  assert.equal(collector.exporters.prometheus.translation_strategy, 'UnderscoreEscapingWithoutSuffixes');
  assert.ok(!('add_metric_suffixes' in collector.exporters.prometheus), 'add_metric_suffixes is deprecated: use translation_strategy');
});

test('the filelog receiver keeps its offsets in a file_storage extension on a named volume, so a restart ships nothing twice', () => {
  const storage: string | undefined = collector.receivers['filelog/audit'].storage;
  assert.ok(storage, 'without storage, every collector restart re-reads the whole trail and ships it to Loki again');
  assert.equal(storage.split('/')[0], 'file_storage');
  const extension = collector.extensions?.[storage];
  assert.ok(extension, `extension ${storage} is not defined`);
  assert.ok(collector.service.extensions.includes(storage), `extension ${storage} is not enabled in service.extensions`);
  // The collector runs as root in the container: the extension may create its directory.
  assert.equal(extension.create_directory, true);

  // That directory is a named volume, writable, declared at the top level: it outlives the container.
  const volume = (services['otel-collector'].volumes as string[]).find((entry) => entry.split(':')[1] === extension.directory);
  assert.ok(volume, `${extension.directory} is not mounted: the offsets would die with the container`);
  const [source, , mode] = volume.split(':');
  assert.ok(!source!.startsWith('.') && !source!.startsWith('/'), `${source} should be a named volume`);
  assert.ok(source! in (compose.volumes ?? {}), `volume ${source} is not declared under volumes:`);
  assert.notEqual(mode, 'ro');
});

test("Tempo's trace-to-logs link selects the audit lines' stream in Loki and the lines naming the span's trace", async () => {
  const tempoSource = datasources.find((source) => source.type === 'tempo');
  const lokiSource = datasources.find((source) => source.type === 'loki');
  const link = tempoSource.jsonData.tracesToLogsV2;
  assert.equal(link.datasourceUid, lokiSource.uid);
  // Without a custom query Grafana builds the selector from the span's tags (by default service.name as
  // service_name): the spans' service is the server's, the audit lines' stream is the filelog receiver's.
  const streamService: string = collector.receivers['filelog/audit'].resource['service.name'];
  assert.notEqual(services.helpdesk.environment.OTEL_SERVICE_NAME, streamService);
  assert.equal(link.customQuery, true, 'the default tags find no audit line: the link needs a custom query');

  // Grafana's provisioning expands environment variables ($VAR, ${VAR}) and turns $$ into $.
  assert.doesNotMatch(link.query, /(^|[^$])\$\{/, 'an unescaped ${…} would be expanded by provisioning');
  const query = (link.query as string).replaceAll('$$', '$');
  assert.equal(/^\{service_name="([^"]+)"\}/.exec(query)?.[1], streamService);
  const filter = /\|= "([^"]+)"$/.exec(query)?.[1];
  assert.equal(filter, '${__span.traceId}');

  // A real record's line holds its trace id, which is its span's.
  const dir = makeTempDir('demo-trace-link');
  const trail = startAuditTrail({ logDir: dir, register: false });
  await trail.recordEvent({ action: 'auth_failure', error: 'invalid bearer token' });
  await trail.shutdown();
  const line = readTrailLines(dir)[0]!;
  const traceId = String((JSON.parse(line) as Record<string, unknown>)['trace_id']);
  assert.ok(line.includes(filter.replace('${__span.traceId}', traceId)));
});

test('the filelog receiver tails the audit files the server writes, and parses their JSON, timestamps and trace ids', async () => {
  const logsMount = mountTarget('otel-collector', './logs')!;
  const include: string[] = collector.receivers['filelog/audit'].include;
  const glob = include[0]!;
  assert.equal(include.length, 1);
  assert.ok(glob.startsWith(`${logsMount}/`));
  const pattern = new RegExp(
    `^${glob
      .slice(logsMount.length + 1)
      .replaceAll('.', '\\.')
      .replaceAll('*', '.*')}$`,
  );
  assert.match(auditFileNameFor(new Date().toISOString()), pattern);

  // A real record, written by a real trail.
  const dir = makeTempDir('demo-record');
  const trail = startAuditTrail({ logDir: dir, register: false });
  await trail.recordEvent({ action: 'auth_failure', error: 'invalid bearer token' });
  await trail.shutdown();
  const line = readTrailLines(dir)[0]!;
  const record = JSON.parse(line) as Record<string, unknown>;

  const operators: Doc[] = collector.receivers['filelog/audit'].operators;
  const json = operators.find((operator) => operator.type === 'json_parser');
  assert.equal(json.parse_from, 'body');
  const field = (path: string): string => path.replace(/^attributes\./, '');
  assert.ok(field(json.timestamp.parse_from) in record);
  // Go layout 2006-01-02T15:04:05.000Z: milliseconds and a literal Z, as the records are written.
  assert.equal(json.timestamp.layout, '2006-01-02T15:04:05.000Z');
  assert.match(String(record[field(json.timestamp.parse_from)]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const traceParser = operators.find((operator) => operator.type === 'trace_parser');
  assert.match(String(record[field(traceParser.trace_id.parse_from)]), /^[0-9a-f]{32}$/);
  assert.match(String(record[field(traceParser.span_id.parse_from)]), /^[0-9a-f]{16}$/);

  // Grafana's Loki datasource links the record to its trace in Tempo.
  const lokiSource = datasources.find((source) => source.type === 'loki');
  const derived = lokiSource.jsonData.derivedFields[0];
  assert.equal(new RegExp(derived.matcherRegex).exec(line)?.[1], record['trace_id']);
  assert.equal(derived.datasourceUid, datasources.find((source) => source.type === 'tempo').uid);

  // The dashboard's Loki query selects the stream the receiver labels, on fields the records have.
  const lokiQuery: string = dashboard.panels
    .flatMap((panel: Doc) => panel.targets)
    .find((target: Doc) => target.datasource.uid === lokiSource.uid).expr;
  assert.equal(/service_name="([^"]+)"/.exec(lokiQuery)?.[1], collector.receivers['filelog/audit'].resource['service.name']);
  const table = dashboard.panels.find((panel: Doc) => panel.type === 'table');
  for (const key of Object.keys(table.transformations.find((step: Doc) => step.id === 'organize').options.includeByName)) {
    assert.ok(key in record, `the table shows ${key}, which records do not have`);
  }
  for (const [, name] of lokiQuery.matchAll(/\|\s*json\s*\|(.*)$/g)) {
    for (const [, key] of name!.matchAll(/(\w+)\s*!?=/g)) assert.ok(key! in record, `the Loki query filters on ${key}, which records do not have`);
  }
});

test('Grafana datasources have fixed uids and point at the compose services on their ports', () => {
  const uids = datasources.map((source) => source.uid);
  assert.deepEqual(uids.sort(), ['loki', 'prometheus', 'tempo']);
  const ports: Record<string, number> = { prometheus: 9090, tempo: tempo.server.http_listen_port, loki: loki.server.http_listen_port };
  for (const source of datasources) {
    const url = new URL(source.url);
    assert.ok(inProfile('grafana').includes(url.hostname), `${source.uid} points at ${url.hostname}`);
    assert.equal(Number(url.port), ports[source.type]);
  }
  const provider = dashboardProviders[0];
  assert.equal(provider.options.path, mountTarget('grafana', './grafana/dashboards'));
  assert.equal(services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH, `${provider.options.path}/mcp-tool-calls.json`);
});

test('the dashboard "MCP tool calls" uses provisioned uids and the metric and labels the app records', () => {
  assert.equal(dashboard.title, 'MCP tool calls');
  const uids = new Set(datasources.map((source) => source.uid));
  const targets: Doc[] = dashboard.panels.flatMap((panel: Doc) => {
    assert.ok(uids.has(panel.datasource.uid), `panel ${panel.title}`);
    return panel.targets.map((target: Doc) => {
      assert.ok(uids.has(target.datasource.uid), `panel ${panel.title}`);
      return target;
    });
  });
  const metric = METRIC_MCP_SERVER_OPERATION_DURATION.replaceAll('.', '_');
  const labels = new Set(['le', ...METRIC_ATTRIBUTES.map((name) => name.replaceAll('.', '_'))]);
  const promql: string[] = targets.filter((target) => target.datasource.uid === 'prometheus').map((target) => target.expr);
  assert.equal(promql.length, 5);
  for (const expr of promql) {
    for (const [name] of expr.matchAll(/\b[a-z_]+_(count|bucket|sum)\b/g)) assert.match(name, new RegExp(`^${metric}_(count|bucket|sum)$`));
    for (const [, list] of expr.matchAll(/by \(([^)]*)\)/g))
      for (const label of list!.split(',')) assert.ok(labels.has(label.trim()), `${label} in ${expr}`);
    for (const [, selector] of expr.matchAll(/\{([^}]*)\}/g))
      for (const [, label] of selector!.matchAll(/(\w+)\s*!?=/g)) assert.ok(labels.has(label!), `${label} in ${expr}`);
    assert.match(expr, /\$__rate_interval/);
  }
  assert.deepEqual(
    promql.filter((expr) => expr.startsWith('histogram_quantile')).map((expr) => /histogram_quantile\(([\d.]+)/.exec(expr)?.[1]),
    ['0.5', '0.95', '0.99'],
  );
  assert.ok(promql.some((expr) => expr.includes('error_type!=""')));
  const table = dashboard.panels.find((panel: Doc) => panel.type === 'table');
  const link = table.fieldConfig.overrides[0].properties[0].value[0];
  assert.equal(link.internal.datasourceUid, 'tempo');
  assert.equal(table.fieldConfig.overrides[0].matcher.options, 'trace_id');
});

test('promtool accepts the demo Prometheus config', (t) => {
  const promtool = '/usr/bin/promtool';
  if (!existsSync(promtool)) {
    // .ci/run installs it: in CI its absence is a failure, not a skip.
    if (process.env['CI']) throw new Error(`${promtool} is not installed`);
    t.skip(`${promtool} is not installed: .ci/run installs it with "apt-get install -y --no-install-recommends prometheus"`);
    return;
  }
  const result = spawnSync(promtool, ['check', 'config', join(root, 'otel/prometheus.yaml')], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});
