/** What every CLI command gets: the connection, stdio, and docker-like error exits. */
import { Client, resolveConnection, type ConnectionFlags } from '../client/client.ts';

export interface CliContext {
  globals: ConnectionFlags & { debug?: boolean; logLevel?: string; config?: string };
  client(): Client;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** `wharf` as invoked (for usage lines). */
  prog: string;
}

/** Ends the CLI with a message on stderr and an exit status (docker's 1/125/126/127). */
export class CliExit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}

export function makeContext(globals: CliContext['globals']): CliContext {
  let client: Client | undefined;
  return {
    globals,
    client: () => (client ??= new Client(resolveConnection(globals))),
    out: process.stdout,
    err: process.stderr,
    prog: 'wharf',
  };
}
