/** More tools than any real server lists; past it, further names are not remembered (their calls keep no input). */
const MAX_TOOLS = 10_000;

/**
 * The input fields each tool declares, learnt from the `tools/list` results
 * that passed on the wire: only those fields of a call's arguments reach its
 * record, as with a tool registered in an embedded server. A tool never seen
 * listed declares nothing.
 */
export class ToolSchemas {
  private readonly fieldsByTool = new Map<string, readonly string[]>();

  declaredFields(toolName: string): readonly string[] | undefined {
    return this.fieldsByTool.get(toolName);
  }

  /** Takes in one `tools/list` result (one page of it). */
  learn(result: unknown): void {
    const tools = (result as { tools?: unknown } | null)?.tools;
    if (!Array.isArray(tools)) return;
    for (const tool of tools) {
      const name = (tool as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') continue;
      if (!this.fieldsByTool.has(name) && this.fieldsByTool.size >= MAX_TOOLS) continue;
      const properties = (tool as { inputSchema?: { properties?: unknown } }).inputSchema?.properties;
      const fields = properties && typeof properties === 'object' && !Array.isArray(properties) ? Object.keys(properties) : [];
      this.fieldsByTool.set(name, fields);
    }
  }
}
