import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { selectScenarios } from '../../bench/scenario-selection.js';
import { createScenarioTimer, durationsText } from '../../bench/scenario-timer.js';

test('a selected scenario runs and is timed, its parts added up; one left out is skipped', async () => {
  const progress: string[] = [];
  const timer = createScenarioTimer(selectScenarios(['--only=overhead,loss']), (line) => progress.push(line));
  const measure = async (answer: string): Promise<string> => {
    await sleep(30);
    return answer;
  };
  assert.equal(await timer.run('overhead', 'skipped', () => measure('measured')), 'measured');
  assert.equal(await timer.run('overhead', 'skipped', () => measure('again')), 'again');
  let peersRan = false;
  const peers = async (): Promise<string> => {
    peersRan = true;
    return 'measured';
  };
  assert.equal(await timer.run('peers', 'skipped', peers), 'skipped');
  assert.equal(peersRan, false);
  await assert.rejects(
    timer.run('loss', [], () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  const durations = timer.durations();
  assert.deepEqual(
    durations.map((entry) => entry.scenario),
    ['overhead', 'loss'],
  );
  // Two parts of ≥ 30 ms each (a timer may fire up to 1 ms early); bounded loosely above.
  assert.ok(durations[0]!.seconds >= 0.058 && durations[0]!.seconds < 10, `${durations[0]!.seconds} s`);
  assert.equal(progress.length, 3);
});

test("a scenario's CPU counts the processes it started once they are reaped", async () => {
  const timer = createScenarioTimer(selectScenarios([]), () => {});
  await timer.run('startup', undefined, async () => {
    // Spins until it has used 300 ms of its own CPU, however busy the machine is.
    const child = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user + process.cpuUsage().system < 300_000);']);
    await once(child, 'exit');
  });
  // The child's 0.3 s and more (its start, the bench's own share); bounded loosely above.
  const [startup] = timer.durations();
  assert.ok(startup!.cpuSeconds >= 0.29 && startup!.cpuSeconds < 10, `${startup!.cpuSeconds} s of CPU`);
});

test('the durations line lists scenarios largest first with their share of the run', () => {
  assert.equal(
    durationsText(
      [
        { scenario: 'sinks', seconds: 10, cpuSeconds: 9 },
        { scenario: 'overhead', seconds: 30, cpuSeconds: 21 },
      ],
      50,
    ),
    'overhead 30 s (60 %, CPU 21 s), sinks 10 s (20 %, CPU 9 s)',
  );
  // Where /proc is missing the CPU is unknown, and left out rather than shown as NaN.
  assert.equal(durationsText([{ scenario: 'cli', seconds: 5, cpuSeconds: Number.NaN }], 10), 'cli 5 s (50 %)');
});
