import assert from 'node:assert/strict';
import { test } from 'node:test';
import { proxiedVariant } from '../../bench/bench-target.js';
import { SCENARIOS, selectScenarios } from '../../bench/scenario-selection.js';

test('without --only every scenario runs and the run is complete', () => {
  const selection = selectScenarios(['--quick']);
  assert.equal(selection.complete, true);
  assert.deepEqual(selection.names, [...SCENARIOS]);
});

test('--only names scenarios in any order; they run in the usual order and the run is partial', () => {
  const selection = selectScenarios(['--only=profile,proxy']);
  assert.equal(selection.complete, false);
  assert.deepEqual(selection.names, ['profile', 'proxy']);
  assert.equal(selection.has('proxy'), true);
  assert.equal(selection.has('overhead'), false);
});

test('an unknown or empty --only is refused with the list of names', () => {
  assert.throws(() => selectScenarios(['--only=proxy,porxy']), /unknown: porxy/);
  assert.throws(() => selectScenarios(['--only=']), /comma-separated list of: overhead/);
});

test('a proxy target names the variant behind it; a direct one names none', () => {
  assert.equal(proxiedVariant('proxy(unaudited)'), 'unaudited');
  assert.equal(proxiedVariant('audited+otlp'), undefined);
});
