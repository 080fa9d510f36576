/**
 * runc/conmon versions and the runtime-floor warning (SECURITY-CHECKS check 9): runc older than
 * 1.1.12 is open to CVE-2024-21626 unless the distribution backported the fix (Debian 12's
 * 1.1.5+ds1-1+deb12u1 did); runc older than 1.2.8 lacks the November 2025 fixes
 * (CVE-2025-31133, CVE-2025-52565, CVE-2025-52881). We warn loudly, never refuse.
 */

export interface ParsedRunc {
  version: string;
  commit: string;
  spec: string;
}

export function parseRuncVersion(out: string): ParsedRunc {
  return {
    version: /^runc version (\S+)/m.exec(out)?.[1] ?? 'unknown',
    commit: /^commit: (\S+)/m.exec(out)?.[1] ?? '',
    spec: /^spec: (\S+)/m.exec(out)?.[1] ?? '',
  };
}

export function parseConmonVersion(out: string): string {
  return /conmon version (\S+)/.exec(out)?.[1] ?? 'unknown';
}

function numeric(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

function older(v: [number, number, number], than: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== than[i]) return v[i]! < than[i]!;
  return false;
}

/** Debian's security update for CVE-2024-21626 in bookworm's runc 1.1.5 is +deb12u1 (and later). */
function debianFixFor21626(r: ParsedRunc): boolean {
  const m = /\+deb12u(\d+)/.exec(`${r.version} ${r.commit}`);
  return m !== null && Number(m[1]) >= 1;
}

/** The warnings `info` shows and the daemon logs at start (empty when runc is current). */
export function runtimeWarnings(r: ParsedRunc): string[] {
  const v = numeric(r.version);
  if (r.version === 'unknown') return [];
  const lacks2025 = older(v, [1, 2, 8]) || (v[0] === 1 && v[1] === 3 && v[2] < 3);
  const lacks2024 = older(v, [1, 1, 12]) && !debianFixFor21626(r);
  if (lacks2024) {
    return [
      `WARNING: runc ${r.version} is older than 1.1.12 and is vulnerable to CVE-2024-21626 (container breakout through a leaked fd as working directory) ` +
        'and to CVE-2025-31133, CVE-2025-52565 and CVE-2025-52881 (masked-path and /dev/console mount races). Upgrade runc to 1.2.8, 1.3.3 or later.',
    ];
  }
  if (lacks2025) {
    const note = older(v, [1, 1, 12]) ? ` (the distribution's backport of the CVE-2024-21626 fix was detected: ${r.commit || r.version})` : '';
    return [
      `WARNING: runc ${r.version} predates the fixes for CVE-2025-31133, CVE-2025-52565 and CVE-2025-52881 (masked-path and /dev/console mount races)${note}; ` +
        'CVE-2024-21626 must stay fixed too. Upgrade runc to 1.2.8, 1.3.3 or later, or confirm your distribution backported these fixes.',
    ];
  }
  return [];
}
