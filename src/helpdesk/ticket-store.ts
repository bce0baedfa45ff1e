import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TICKET_PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export interface Ticket {
  id: string;
  title: string;
  priority: TicketPriority;
  description: string | null;
  requester: string | null;
  status: 'open';
  /** ISO 8601, UTC. */
  created_at: string;
}

export interface NewTicket {
  title: string;
  priority: TicketPriority;
  description?: string;
  requester?: string;
}

/**
 * Tickets as an append-only JSONL file. Every ticket is one `appendFile` of one
 * line (O_APPEND), so other processes appending to the same file don't
 * interleave with us; `get` always rereads the file so it sees their tickets.
 */
export class TicketStore {
  readonly filePath: string;
  private readonly issuedIds = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataDir: string) {
    this.filePath = join(dataDir, 'tickets.jsonl');
  }

  /** Appends are serialised so concurrent calls keep their order and none is lost. */
  create(input: NewTicket): Promise<Ticket> {
    const created = this.queue.then(() => this.append(input));
    this.queue = created.catch(() => undefined);
    return created;
  }

  async get(id: string): Promise<Ticket | undefined> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    for (const line of text.split('\n')) {
      const ticket = parseLine(line);
      if (ticket?.id === id) return ticket;
    }
    return undefined;
  }

  private async append(input: NewTicket): Promise<Ticket> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const ticket: Ticket = {
      id: this.newId(),
      title: input.title,
      priority: input.priority,
      description: input.description ?? null,
      requester: input.requester ?? null,
      status: 'open',
      created_at: new Date().toISOString(),
    };
    await appendFile(this.filePath, `${JSON.stringify(ticket)}\n`, { mode: 0o600 });
    return ticket;
  }

  private newId(): string {
    let id: string;
    do id = `TCK-${randomBytes(4).toString('hex').toUpperCase()}`;
    while (this.issuedIds.has(id));
    this.issuedIds.add(id);
    return id;
  }
}

/** A line torn by a crash, or a blank one, must not make every other ticket unreadable. */
function parseLine(line: string): Ticket | undefined {
  if (line.trim() === '') return undefined;
  try {
    return JSON.parse(line) as Ticket;
  } catch {
    return undefined;
  }
}
