import { basename, dirname, join } from 'node:path';
import type { Syscall } from './strace.js';

/** A call of `name` on the descriptor of `path` (as `strace -y` names it). */
export const callOn =
  (name: string, path: string) =>
  (call: Syscall): boolean =>
    call.name === name && call.path === path;

/**
 * The system calls of one writer process (fsync-writer-child.ts) that touch its log directory, its parent, or
 * say on stdout that callers were answered, in the order the process made them, with the questions the
 * durability tests ask of them. Positions are indices into `calls`.
 */
export class WriterSyscalls {
  readonly calls: Syscall[];
  readonly headPath: string;
  /** Each write(2) to a trail file, in order. */
  readonly trailWrites: number[];
  /** Each "answered <n,…>" line the child wrote once records were acknowledged. */
  readonly answers: number[];

  constructor(
    readonly logDir: string,
    /** Every call traced, the Node runtime's own included. */
    readonly all: Syscall[],
  ) {
    const parent = dirname(logDir);
    this.headPath = join(logDir, 'audit.head.json');
    this.calls = all.filter((call) => call.path === parent || call.path?.startsWith(`${parent}/`) || isAnswer(call));
    this.trailWrites = this.indices((call) => call.name === 'write' && this.isTrailFile(call.path));
    this.answers = this.indices(isAnswer);
  }

  isTrailFile(path: string | null): boolean {
    return path !== null && dirname(path) === this.logDir && /^audit_\d{4}-\d{2}-\d{2}(\.\d+)?\.jsonl$/.test(basename(path));
  }

  indices(matches: (call: Syscall) => boolean): number[] {
    return this.calls.flatMap((call, index) => (matches(call) ? [index] : []));
  }

  /** The first call after `from` and before `to` that matches, or -1. */
  find(from: number, to: number, matches: (call: Syscall) => boolean): number {
    for (let index = from + 1; index < to; index++) if (matches(this.calls[index]!)) return index;
    return -1;
  }

  /** The first answer after `from`, or the end. */
  nextAnswer(from: number): number {
    return this.answers.find((answer) => answer > from) ?? this.calls.length;
  }

  /** The first trail write or answer after `from`, or the end. */
  nextWriteOrAnswer(from: number): number {
    return Math.min(this.nextAnswer(from), this.trailWrites.find((write) => write > from) ?? this.calls.length);
  }

  /** The answer that says `text` ("answered 2,3"). */
  answer(text: string): number {
    const found = this.answers.find((answer) => this.calls[answer]!.args.includes(`"${text}\\n"`));
    if (found === undefined) throw new Error(`no "${text}" in the trace:\n${this.describe(0, this.calls.length)}`);
    return found;
  }

  /** The trail files and the head as they were first created (an openat with O_CREAT that succeeded), in order. */
  created(): number[] {
    const seen = new Set<string>();
    return this.indices((call) => {
      const fresh = call.name === 'openat' && call.args.includes('O_CREAT') && call.path !== null && !seen.has(call.path);
      if (!fresh || (!this.isTrailFile(call.path) && call.path !== this.headPath)) return false;
      seen.add(call.path!);
      return true;
    });
  }

  /** The calls in (from, to), one a line with their trace line, for assertion messages. */
  describe(from: number, to: number): string {
    return this.calls
      .slice(Math.max(0, from), to)
      .map((call) => `  ${call.line}: ${call.name}(${isAnswer(call) ? call.args.slice(call.args.indexOf('"')) : call.path})`)
      .join('\n');
  }
}

function isAnswer(call: Syscall): boolean {
  return call.name === 'write' && call.args.startsWith('1<') && call.args.includes('"answered ');
}
