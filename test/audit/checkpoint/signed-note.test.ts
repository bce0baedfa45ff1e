// Known answers from golang.org/x/mod/sumdb/note (note_test.go) and from the C2SP signed-note spec's example.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { keyId, openNote, rawPublicKey, signNote, verifierKey } from '../../../src/audit/checkpoint/signed-note.js';
import { formatCheckpoint, parseCheckpoint } from '../../../src/audit/checkpoint/checkpoint.js';

const privateFromSeed = (seed: Buffer) =>
  createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
const publicFromRaw = (raw: Buffer) =>
  createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });

// PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)> and its verifier key.
const PETER_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

test('signing as Go does: the same key ID, verifier key and signature line, byte for byte', () => {
  const key = privateFromSeed(PETER_SEED);
  assert.equal(keyId('PeterNeumann', rawPublicKey(key)).toString('hex'), 'c74f20a3');
  assert.equal(verifierKey('PeterNeumann', rawPublicKey(key)), PETER_VKEY);
  assert.equal(signNote(TEXT, 'PeterNeumann', key), `${TEXT}\n${PETER_SIG}`);
});

test('opening: a known key verifies, unknown signers are ignored, a bad signature by the known key fails the note', () => {
  const peter = publicFromRaw(Buffer.from(PETER_VKEY.split('+')[2]!, 'base64').subarray(1));
  assert.deepEqual(openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, peter), { ok: true, text: TEXT, keyName: 'PeterNeumann' });
  const onlyEnoch = openNote(`${TEXT}\n${ENOCH_SIG}`, peter);
  assert.deepEqual(onlyEnoch, { ok: false, reason: 'not signed by this public key (signed by EnochRoot+af0cfe78)' });
  const edited = openNote(`${TEXT.replace('answer', 'answers')}\n${PETER_SIG}`, peter);
  assert.deepEqual(edited, { ok: false, reason: 'invalid signature by PeterNeumann+c74f20a3' });
  for (const malformed of [TEXT + PETER_SIG, `${TEXT}\n${PETER_SIG.trimEnd()}`, `${TEXT}\n- PeterNeumann x08go/\n`, `${TEXT}\x01\n${PETER_SIG}`]) {
    assert.match((openNote(malformed, peter) as { reason: string }).reason, /^malformed note/);
  }
  assert.match(
    (openNote(Buffer.concat([Buffer.from(TEXT), Buffer.of(0xff), Buffer.from(`\n\n${PETER_SIG}`)]), peter) as { reason: string }).reason,
    /not valid UTF-8/,
  );
});

test('the C2SP signed-note example verifies with its verifier key', () => {
  const [name, id, encoded] = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'.split('+') as [string, string, string];
  const raw = Buffer.from(encoded, 'base64').subarray(1);
  assert.equal(keyId(name, raw).toString('hex'), id);
  const note =
    'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
  assert.deepEqual(openNote(note, publicFromRaw(raw)), { ok: true, text: 'This is an example message.\n', keyName: 'example.com/foo' });
});

test('a checkpoint body round-trips and the C2SP example body parses; bad bodies are refused', () => {
  const root = Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64');
  const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
  assert.equal(formatCheckpoint({ origin: 'example.com/behind-the-sofa', size: 20852163, root }), body);
  assert.deepEqual(parseCheckpoint(body), { origin: 'example.com/behind-the-sofa', size: 20852163, root });
  assert.deepEqual(parseCheckpoint(`${body}extension line\n`).size, 20852163);
  for (const bad of [
    'a\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    'a\n1\nAAAA\n',
    'a\n1\n',
    '\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
  ]) {
    assert.throws(() => parseCheckpoint(bad));
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const note = signNote(body, 'example.com/behind-the-sofa', privateKey);
  assert.ok(openNote(note, publicKey).ok);
  assert.deepEqual(openNote(note, generateKeyPairSync('ed25519').publicKey).ok, false);
});
