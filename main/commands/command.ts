// What every CLI command module provides; cli.ts only dispatches to them.
import type { Lang } from '../../core/errors.js';

interface CommandContext {
  lang: Lang;
}

export interface Command {
  /** The words that select it, e.g. ['card', 'build']. */
  name: string[];
  /** One usage line for --help. */
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[], ctx: CommandContext): Promise<number>;
}
