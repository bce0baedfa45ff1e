import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** Share of the non-idle time in the profile. */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  topFunctions: SelfTime[];
  byArea: SelfTime[];
  /**
   * Every sample charged to the deepest module of this repo on its stack
   * (`src/audit/trail/trail-committer.js`), or to `(outside our modules)`:
   * what each of our modules costs, callees (JSON, crypto, write) included.
   */
  byOwnModule: SelfTime[];
}

/**
 * Where a process spent its time, from the `.cpuprofile` that `node
 * --cpu-prof` wrote into `dir`: self time per function and per area (our
 * audit code, the OTel SDK, the MCP SDK, zod, Node internals, GC...). Idle
 * time is left out, so percentages are of the time the process was busy.
 *
 * Only samples inside `window` count (microseconds of the monotonic clock,
 * which V8's profile timestamps and `process.hrtime` share on Linux), so
 * module loading and startup stay out of a per-call figure.
 */
export function summarizeCpuProfile(dir: string, window: { fromUs: number; toUs: number }, top = 15): ProfileSummary {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const byOwnModule = new Map<string, number>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const ownModuleOf = (id: number | undefined): string => {
    for (; id !== undefined; id = parents.get(id)) {
      const own = ownModule(nodes.get(id)!.callFrame.url);
      if (own) return own;
    }
    return '(outside our modules)';
  };
  let busy = 0;
  let clock = profile.startTime;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    clock += micros;
    if (clock < window.fromUs || clock > window.toUs) return;
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === '(idle)') return;
    busy += micros;
    const name = `${frame.functionName || '(anonymous)'} ${shortLocation(frame.url, frame.lineNumber)}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const area = areaOf(frame.url, frame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
    const module = ownModuleOf(id);
    byOwnModule.set(module, (byOwnModule.get(module) ?? 0) + micros);
  });
  const ranked = (totals: Map<string, number>, limit: number): SelfTime[] =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, micros]) => ({ name, percent: (100 * micros) / busy }));
  return { busyMs: busy / 1000, topFunctions: ranked(byFunction, top), byArea: ranked(byArea, 12), byOwnModule: ranked(byOwnModule, Infinity) };
}

function shortLocation(url: string, line: number): string {
  if (!url) return '';
  const modules = url.lastIndexOf('node_modules/');
  const path = modules >= 0 ? url.slice(modules + 'node_modules/'.length) : url.replace(/^.*\/dist\//, '');
  return `${path}:${line + 1}`;
}

/** `src/audit/trail/x.js` for a file of this repo's src/ (not bench/, whose server shell every variant shares), else undefined. */
export function ownModule(url: string): string | undefined {
  return /\/dist\/(src\/.+\.js)$/.exec(url)?.[1];
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'Node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg.startsWith('@opentelemetry/') ? 'OpenTelemetry SDK (@opentelemetry/*)' : pkg;
  const ours = /\/dist\/(src\/[^/]+|bench)\//.exec(url)?.[1];
  return ours ? `this repo: ${ours}/` : url;
}
