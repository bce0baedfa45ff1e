/**
 * Which scenarios a bench run measures: all of them, or those named by
 * `--only=a,b` (e.g. `--only=proxy,profile` to measure the proxy at full
 * size in a few minutes rather than rerunning everything).
 */
export const SCENARIOS = [
  'overhead',
  'sinks',
  'loss',
  'startup',
  'durability',
  'cli',
  'profile',
  'proxy',
  'proxy-http',
  'signing',
  'peers',
  'floor',
] as const;

export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioSelection {
  /** False when `--only` left some scenario out: the report then says so and goes to a file that is not committed. */
  complete: boolean;
  has(scenario: ScenarioName): boolean;
  /** The scenarios that run, in the order of SCENARIOS. */
  names: ScenarioName[];
}

export function selectScenarios(argv: readonly string[]): ScenarioSelection {
  const option = argv.find((arg) => arg.startsWith('--only='));
  if (option === undefined) return selection([...SCENARIOS]);
  const asked = option
    .slice('--only='.length)
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = asked.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (asked.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes a comma-separated list of: ${SCENARIOS.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  }
  return selection(SCENARIOS.filter((name) => asked.includes(name)));
}

function selection(names: ScenarioName[]): ScenarioSelection {
  const chosen = new Set(names);
  return { complete: names.length === SCENARIOS.length, has: (scenario) => chosen.has(scenario), names };
}
