import { StringDecoder } from 'node:string_decoder';

/** One event of a `text/event-stream`, with the exact text it arrived as (terminating blank line included). */
export interface SseEvent {
  raw: string;
  /** The data lines joined with `\n`, as EventSource gives them; null for an event with none (a comment, a bare `retry:`). */
  data: string | null;
  id: string | null;
  event: string | null;
}

/**
 * Splits a `text/event-stream` into its events as the bytes arrive, keeping
 * each event's text as it was so that it can be passed on unchanged. Lines
 * may end in CRLF, LF or CR, as the SSE format allows.
 */
export class SseEventSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private atStart = true;
  /** Where the current event starts and how far lines have been read. */
  private eventStart = 0;
  private scanned = 0;
  /** How far the current, incomplete line has been searched for its end (a data line may span many chunks). */
  private searched = 0;
  private fields: { data: string[]; id: string | null; event: string | null } = { data: [], id: null, event: null };

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    // The SSE format lets a stream start with a BOM, which clients skip: read as part of the first field's name,
    // it would hide that event's data (a response) from the auditor while the client still took it.
    this.buffer += this.atStart && text.startsWith('\uFEFF') ? text.slice(1) : text;
    if (text !== '') this.atStart = false;
    for (;;) {
      const end = lineEnd(this.buffer, Math.max(this.scanned, this.searched));
      if (end === null) {
        this.searched = Math.max(this.scanned, this.buffer.length - 1);
        break;
      }
      const line = this.buffer.slice(this.scanned, end.at);
      this.scanned = this.searched = end.next;
      if (line === '') this.dispatch();
      else this.field(line);
    }
    // Drop what has been passed on, so a long stream does not grow the buffer.
    if (this.eventStart > 0) {
      this.buffer = this.buffer.slice(this.eventStart);
      this.scanned -= this.eventStart;
      this.searched -= this.eventStart;
      this.eventStart = 0;
    }
  }

  /** The text after the last complete event: an event the stream cut short. */
  rest(): string {
    return this.buffer.slice(this.eventStart) + this.decoder.end();
  }

  private field(line: string): void {
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') this.fields.data.push(value);
    else if (name === 'id') this.fields.id = value;
    else if (name === 'event') this.fields.event = value;
  }

  private dispatch(): void {
    const { data, id, event } = this.fields;
    this.onEvent({ raw: this.buffer.slice(this.eventStart, this.scanned), data: data.length > 0 ? data.join('\n') : null, id, event });
    this.eventStart = this.scanned;
    this.fields = { data: [], id: null, event: null };
  }
}

/** The end of the line starting at `from` and where the next begins; null if the line is not complete yet. */
function lineEnd(text: string, from: number): { at: number; next: number } | null {
  for (let index = from; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char === 0x0a) return { at: index, next: index + 1 };
    if (char !== 0x0d) continue;
    // A CR at the end of what has arrived may be the first half of a CRLF: wait for the next byte.
    if (index + 1 === text.length) return null;
    return { at: index, next: text.charCodeAt(index + 1) === 0x0a ? index + 2 : index + 1 };
  }
  return null;
}

/** An event carrying `message` in place of one that was held, keeping its id and type so that resumption still works. */
export function sseEventText(original: Pick<SseEvent, 'id' | 'event'>, message: unknown): string {
  const id = original.id === null ? '' : `id: ${original.id}\n`;
  const event = original.event === null ? '' : `event: ${original.event}\n`;
  return `${event}${id}data: ${JSON.stringify(message)}\n\n`;
}
