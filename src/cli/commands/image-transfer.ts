/** Moving images in and out: pull, push, load, save, import, and registry login/logout/search. */
import fs from 'node:fs';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { authHeaders, serverKey, encodeAuthHeader, INDEX_SERVER } from '../auth.ts';
import { saveConfig } from '../config-file.ts';
import { CredentialHelperError, eraseCredentials, getCredentials, getCredentialsOrNone, loggedInKeys, storeCredentials } from '../credentials.ts';
import { ignoreEpipe } from '../stream.ts';
import { CliExit, type CliContext } from '../context.ts';
import { newCommand } from '../docker-command.ts';
import { formatList } from '../format.ts';
import { collect, filtersParam } from '../options.ts';
import { displayJsonStream, JsonMessageError } from '../progress.ts';
import { pullImage } from '../run-flow.ts';
import { ellipsis } from '../container-rows.ts';

async function progressOrExit(fn: () => Promise<unknown>): Promise<void> {
  try { await fn(); } catch (e) {
    if (e instanceof JsonMessageError) throw new CliExit(1, e.message);
    throw e;
  }
}

export default function pull(ctx: CliContext): Command {
  return newCommand('pull').description('Download an image from a registry').argument('<name>')
    .flag('-a, --all-tags', 'Download all tagged images in the repository')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .flag('-q, --quiet', 'Suppress verbose output')
    .flag('--disable-content-trust', 'Skip image verification', true)
    .action(async (name: string, o: { allTags?: boolean; platform?: string; quiet?: boolean }) => {
      if (!o.allTags && !name.includes(':', name.lastIndexOf('/') + 1) && !name.includes('@')) ctx.out.write('Using default tag: latest\n');
      await progressOrExit(() => pullImage(ctx, name, { platform: o.platform, quiet: o.quiet, all: o.allTags, out: ctx.out }));
      if (o.quiet) ctx.out.write(`${name.includes(':', name.lastIndexOf('/') + 1) || name.includes('@') ? name : name + ':latest'}\n`);
    });
}

export function push(ctx: CliContext): Command {
  return newCommand('push').description('Upload an image to a registry').argument('<name>')
    .flag('-a, --all-tags', 'Push all tags of an image to the repository')
    .option('--platform <string>', 'Push a platform-specific manifest as a single-platform image to the registry')
    .flag('-q, --quiet', 'Suppress verbose output')
    .action(async (name: string, o: { allTags?: boolean; platform?: string; quiet?: boolean }) => {
      let repo = name;
      let tag: string | undefined;
      const colon = name.lastIndexOf(':');
      if (colon > name.lastIndexOf('/')) { repo = name.slice(0, colon); tag = name.slice(colon + 1); }
      if (!tag && !o.allTags) { ctx.out.write('Using default tag: latest\n'); tag = 'latest'; }
      await progressOrExit(async () => {
        const res = await ctx.client().stream(`/images/${encodeURIComponent(repo)}/push`, { method: 'POST', query: { tag, platform: o.platform }, headers: authHeaders(name, ctx.config()) });
        await displayJsonStream(res, ctx.out, { quiet: o.quiet });
      });
      if (o.quiet) ctx.out.write(`${name}\n`);
    });
}

export function load(ctx: CliContext): Command {
  return newCommand('load').description('Load an image from a tar archive or STDIN')
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .flag('-q, --quiet', 'Suppress the load output')
    .option('--platform <list>', 'Load only the given platform(s)')
    .action(async (o: { input?: string; quiet?: boolean; platform?: string }) => {
      if (!o.input && process.stdin.isTTY) throw new CliExit(1, 'requested load from stdin, but stdin is empty');
      const src = o.input ? fs.createReadStream(o.input) : process.stdin;
      await progressOrExit(async () => {
        const res = await ctx.client().stream('/images/load', { method: 'POST', query: { quiet: o.quiet || !ctx.out.isTTY, platform: o.platform }, stream: src, contentType: 'application/x-tar' });
        await displayJsonStream(res, ctx.out, {});
      });
    });
}

export function save(ctx: CliContext): Command {
  return newCommand('save').description('Save one or more images to a tar archive (streamed to STDOUT by default)').argument('<images...>')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .option('--platform <list>', 'Save only the given platform(s)')
    .action(async (names: string[], o: { output?: string; platform?: string }) => {
      if (!o.output && ctx.out.isTTY) throw new CliExit(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const res = await ctx.client().stream('/images/get', { query: { names, platform: o.platform } });
      if (o.output) {
        const tmp = `${o.output}.${process.pid}.tmp`;
        await pipeline(res, fs.createWriteStream(tmp));
        fs.renameSync(tmp, o.output);
      } else {
        await pipeline(res, ctx.out, { end: false }).catch(ignoreEpipe);
      }
    });
}

export function importImage(ctx: CliContext): Command {
  return newCommand('import').description('Import the contents from a tarball to create a filesystem image').argument('<file>').argument('[reference]')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .action(async (file: string, ref: string | undefined, o: { change: string[]; message?: string; platform?: string }) => {
      let repo: string | undefined;
      let tag: string | undefined;
      if (ref) {
        repo = ref;
        const colon = ref.lastIndexOf(':');
        if (colon > ref.lastIndexOf('/')) { repo = ref.slice(0, colon); tag = ref.slice(colon + 1); }
      }
      const isUrl = /^https?:\/\//.test(file);
      const query = { fromSrc: isUrl ? file : '-', repo, tag, message: o.message, changes: o.change, platform: o.platform };
      const stream = isUrl ? undefined : file === '-' ? process.stdin : fs.createReadStream(file);
      await progressOrExit(async () => {
        const res = await ctx.client().stream('/images/create', { method: 'POST', query, stream: stream as Readable | undefined });
        await displayJsonStream(res, ctx.out, {});
      });
    });
}

async function readLine(prompt: string, hidden = false): Promise<string> {
  process.stdout.write(prompt);
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const stdin = process.stdin;
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (hidden && stdin.isTTY) stdin.setRawMode(false);
  const line = await new Promise<string>((resolve) => { rl.once('line', resolve); rl.once('close', () => resolve('')); });
  rl.close();
  if (hidden && stdin.isTTY) { stdin.setRawMode(wasRaw); process.stdout.write('\n'); }
  return line;
}

export function login(ctx: CliContext): Command {
  return newCommand('login').description('Authenticate to a registry').argument('[server]')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .flag('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
    .option('-u, --username <string>', 'Username')
    .action(async (server: string | undefined, o: { password?: string; passwordStdin?: boolean; username?: string }) => {
      const key = serverKey(server);
      let password = o.password;
      if (o.password) ctx.err.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      if (o.passwordStdin) {
        if (o.password) throw new CliExit(1, '--password and --password-stdin are mutually exclusive');
        if (!o.username) throw new CliExit(1, 'Must provide --username with --password-stdin');
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
      }
      const loaded = ctx.config(true);
      let username = o.username;
      if (!username && !password) {
        let stored;
        try { stored = getCredentials(loaded, key); } catch (e) { if (!(e instanceof CredentialHelperError)) throw e; }
        if (stored?.username && (stored.password || stored.identitytoken)) {
          // docker's loginWithStoredCredentials: try what is stored before prompting.
          try {
            const res = await ctx.client().json<{ Status: string; IdentityToken?: string }>('/auth', { method: 'POST', body: { ...stored, serveraddress: key } });
            ctx.out.write(`Authenticating with existing credentials...${stored.username ? ` [Username: ${stored.username}]` : ''}\n`);
            if (res?.IdentityToken) saveLogin(ctx, key, { username: stored.username, identitytoken: res.IdentityToken });
            ctx.out.write('Login Succeeded\n');
            return;
          } catch {
            username = stored.username;
          }
        }
      }
      if (!username) username = (await readLine('Username: ')).trim();
      if (!username) throw new CliExit(1, 'Error: Non-null Username Required');
      if (!password) password = await readLine('Password: ', true);
      if (!password) throw new CliExit(1, 'Error: Password Required');
      const res = await ctx.client().json<{ Status: string; IdentityToken?: string }>('/auth', { method: 'POST', body: { username, password, serveraddress: key } });
      saveLogin(ctx, key, res?.IdentityToken ? { username, identitytoken: res.IdentityToken } : { username, password });
      ctx.out.write(`${res?.Status && res.Status !== 'Login Succeeded' ? res.Status + '\n' : ''}Login Succeeded\n`);
    });
}

/** Stores a login through the helper or in the file (with docker's warning), then saves config.json. */
function saveLogin(ctx: CliContext, key: string, creds: { username: string; password?: string; identitytoken?: string }): void {
  const loaded = ctx.config(true);
  let plaintext: boolean;
  try {
    ({ plaintext } = storeCredentials(loaded, key, { ...creds, serveraddress: key }));
  } catch (e) {
    if (e instanceof CredentialHelperError) throw new CliExit(1, `Error saving credentials: ${e.message}`);
    throw e;
  }
  if (plaintext) {
    ctx.err.write(`WARNING! Your password will be stored unencrypted in ${loaded.file}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n`);
  }
  try {
    saveConfig(loaded);
  } catch (e) {
    throw new CliExit(1, `Error saving credentials: ${(e as Error).message}`);
  }
}

export function logout(ctx: CliContext): Command {
  return newCommand('logout').description('Log out from a registry').argument('[server]')
    .action(async (server: string | undefined) => {
      const key = serverKey(server);
      const loaded = ctx.config(true);
      // docker 28's logout: the message whether or not there was a login; the file is
      // rewritten only when an entry went.
      const keys = loggedInKeys(loaded, key, key === INDEX_SERVER);
      ctx.out.write(`Removing login credentials for ${key}\n`);
      for (const k of keys) {
        const warning = eraseCredentials(loaded, k);
        if (warning) ctx.err.write(`WARNING: could not erase credentials: ${k}: ${warning}\n`);
      }
      if (keys.length) saveConfig(loaded);
    });
}

interface SearchResult { name: string; description: string; star_count: number; is_official: boolean; is_automated?: boolean }

export function search(ctx: CliContext): Command {
  return newCommand('search').description('Search Docker Hub for images').argument('<term>')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Pretty-print search using a Go template')
    .option('--limit <int>', 'Max number of search results')
    .option('--no-trunc', "Don't truncate output")
    .action(async (term: string, o: { filter: string[]; format?: string; limit?: string; trunc: boolean }) => {
      const server = term.includes('/') && /[.:]/.test(term.split('/')[0]!) ? term.split('/')[0]! : INDEX_SERVER;
      const key = serverKey(server);
      const creds = getCredentialsOrNone(ctx.config(), key);
      const headers = { 'X-Registry-Auth': encodeAuthHeader(creds ? { ...creds, serveraddress: key } : undefined) };
      const results = await ctx.client().json<SearchResult[]>('/images/search', { query: { term, limit: o.limit, filters: filtersParam(o.filter) }, headers });
      const rows = results.map((r) => ({
        Name: r.name, Description: o.trunc ? ellipsis(r.description.replace(/\n/g, ' '), 45) : r.description, StarCount: String(r.star_count),
        IsOfficial: r.is_official ? '[OK]' : '',
      }));
      // docker 28's searchContext: no IsAutomated; in JSON, IsOfficial is "true"/"false"
      ctx.out.write(formatList(o.format, 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}', rows,
        { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL' },
        { typeName: '*registry.searchContext', jsonRows: rows.map((r, i) => ({ ...r, IsOfficial: String(!!results[i]!.is_official) })) }));
    });
}
