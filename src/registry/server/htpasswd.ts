/**
 * htpasswd authentication for the registry server: `user:hash` lines, bcrypt hashes only
 * (`$2y$`, `$2a$`, `$2b$`), as distribution's htpasswd backend accepts. The file is re-read
 * when its mtime changes, so operators can add users without a restart.
 */
import * as fs from 'node:fs/promises';
import bcrypt from 'bcryptjs';

export class Htpasswd {
  private entries = new Map<string, string>();
  private mtimeMs = -1;
  constructor(readonly file: string) {}

  private async reload(): Promise<void> {
    const st = await fs.stat(this.file);
    if (st.mtimeMs === this.mtimeMs) return;
    const text = await fs.readFile(this.file, 'utf8');
    const entries = new Map<string, string>();
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const i = line.indexOf(':');
      if (i <= 0) continue;
      entries.set(line.slice(0, i), line.slice(i + 1));
    }
    this.entries = entries;
    this.mtimeMs = st.mtimeMs;
  }

  /** True when `user` exists and `password` matches its bcrypt hash. */
  async verify(user: string, password: string): Promise<boolean> {
    await this.reload();
    const hash = this.entries.get(user);
    if (!hash || !/^\$2[aby]\$/.test(hash)) {
      // Spend comparable time for unknown users so timing does not reveal who exists.
      await bcrypt.compare(password, '$2a$10$CwTycUXWue0Thq9StjUM0uJ8.rkFqvmFqnlfFVRmGBZrAVyWaaGyK');
      return false;
    }
    // bcryptjs understands $2a$/$2b$; $2y$ is the same algorithm under PHP's name.
    return bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$'));
  }
}

/** A bcrypt htpasswd line for `user` (tests and `wharf registry` tooling). */
export function htpasswdLine(user: string, password: string, rounds = 10): string {
  return `${user}:${bcrypt.hashSync(password, rounds).replace(/^\$2[ab]\$/, '$2y$')}`;
}
