/** Colour only for a human at a terminal, and never when NO_COLOR is set (no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env['NO_COLOR'];
}

export interface Painter {
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  dim(text: string): string;
}

export function painter(colour = useColour()): Painter {
  const wrap = (code: string) => (text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { bold: wrap('1'), red: wrap('31'), green: wrap('32'), dim: wrap('2') };
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** A plain-text table; `paint` colours a cell after its width is measured, so escapes do not break alignment. */
export function renderTable(
  columns: Column[],
  rows: string[][],
  paint: (row: number, column: number, text: string) => string = (_r, _c, t) => t,
  colour = useColour(),
): string {
  const widths = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => row[index]!.length)));
  const pad = (text: string, index: number) => (columns[index]!.align === 'right' ? text.padStart(widths[index]!) : text.padEnd(widths[index]!));
  const { bold } = painter(colour);
  const lines = [
    bold(
      columns
        .map((column, index) => pad(column.header, index))
        .join('  ')
        .trimEnd(),
    ),
  ];
  for (const [rowIndex, row] of rows.entries())
    lines.push(
      row
        .map((cell, index) => paint(rowIndex, index, pad(cell, index)))
        .join('  ')
        .trimEnd(),
    );
  return lines.join('\n') + '\n';
}

/** Writes to stdout, waiting when the pipe is full so that a large export stays in constant memory. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}

export function cut(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
