const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into the newline-delimited messages of the MCP stdio
 * transport. No cap on a line's length: a message of tens of MiB passes
 * whole (a fixed cap that ends the pipe is how other proxies lose calls).
 * Each line keeps its terminator, so it can be passed on byte for byte.
 */
export class LineSplitter {
  private partial: Buffer[] = [];

  constructor(private readonly onLine: (line: Buffer) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    let end: number;
    while ((end = chunk.indexOf(NEWLINE, start)) !== -1) {
      let line = chunk.subarray(start, end + 1);
      if (this.partial.length > 0) {
        this.partial.push(line);
        line = Buffer.concat(this.partial);
        this.partial = [];
      }
      start = end + 1;
      this.onLine(line);
    }
    if (start < chunk.length) this.partial.push(start === 0 ? chunk : chunk.subarray(start));
  }

  /** The stream ended: hands over an unterminated last line, if any, with a newline added. */
  end(): void {
    if (this.partial.length === 0) return;
    const line = Buffer.concat([...this.partial, Buffer.from('\n')]);
    this.partial = [];
    this.onLine(line);
  }
}

/** How many bytes of a line are its text, without its terminator (`\n` or `\r\n`). */
export function textLength(line: Buffer): number {
  let end = line.length;
  if (end > 0 && line[end - 1] === NEWLINE) end--;
  if (end > 0 && line[end - 1] === CARRIAGE_RETURN) end--;
  return end;
}

/** A line's text, without its terminator. */
export function lineText(line: Buffer): string {
  return line.toString('utf8', 0, textLength(line));
}

/** True for bytes that are only JSON's whitespace (or nothing): no message, nothing to pass on. */
export function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}
