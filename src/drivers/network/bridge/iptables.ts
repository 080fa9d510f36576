/**
 * The driver's iptables rules, rendered as `iptables-restore --noflush` text and applied in one
 * process per change (NETWORK.md: ≈4 ms for an add). Every rule is written in the exact form
 * `iptables-save` prints, so "is it installed?" is a line comparison and removal is the same
 * line with `-D`.
 *
 * Chains (P = the configured prefix, `WHARF` in production), never docker's:
 *   filter  FORWARD → P-FORWARD → P-ISOLATION-1 → P-ISOLATION-2   (accepts, bridge isolation)
 *   nat     PREROUTING/OUTPUT (dst LOCAL) → P-DNAT                 (published ports)
 *   nat     POSTROUTING → P-POSTROUTING                            (MASQUERADE)
 *   raw     PREROUTING → P-RAW              (drop 127.0.0.0/8 arriving from a bridge: CVE-2020-8558)
 * ip6tables (family 6, IPv6-enabled bridges only): filter FORWARD → P-FORWARD → P-ISOLATION-1/2,
 * the same isolation and internal-network drops as IPv4 and no NAT (docker 20.10 routes IPv6
 * subnets as given); without them a host forwarding IPv6 would route between bridges.
 */
import { iptablesRestore, iptablesSave } from './exec.ts';

export type Table = 'filter' | 'nat' | 'raw';

/** One rule in iptables-save form: `-A <chain> <spec>`. */
export interface Rule {
  table: Table;
  chain: string;
  spec: string;
}

export interface BridgeRuleInput {
  bridge: string;
  subnet: string;
  internal: boolean;
  /** false = `com.docker.network.bridge.enable_icc=false`: no traffic between its containers. */
  icc?: boolean;
  /** false = `…enable_ip_masquerade=false`: no MASQUERADE to the outside. */
  masquerade?: boolean;
}

/** The rule input of a network record (options parsed from its driver options). */
export function ruleInput(n: { bridge: string; subnet: string; internal: boolean; options?: Record<string, string> }): BridgeRuleInput {
  const off = (k: string) => ['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(n.options?.[k] ?? '');
  return { bridge: n.bridge, subnet: n.subnet, internal: n.internal, icc: !off('com.docker.network.bridge.enable_icc'), masquerade: !off('com.docker.network.bridge.enable_ip_masquerade') };
}

export interface PortRuleInput {
  containerId: string;
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  proto: 'tcp' | 'udp';
}

export class RuleSet {
  constructor(readonly prefix: string, readonly family: 4 | 6 = 4) {}

  chains(): Record<Table, string[]> {
    const p = this.prefix;
    if (this.family === 6) return { filter: [`${p}-FORWARD`, `${p}-ISOLATION-1`, `${p}-ISOLATION-2`], nat: [], raw: [] };
    return {
      filter: [`${p}-FORWARD`, `${p}-ISOLATION-1`, `${p}-ISOLATION-2`],
      nat: [`${p}-DNAT`, `${p}-POSTROUTING`],
      raw: [`${p}-RAW`],
    };
  }

  /** Jumps from the built-in chains into ours. FORWARD's is inserted first (docker may DROP later). */
  jumps(): (Rule & { insert?: boolean })[] {
    const p = this.prefix;
    const all: (Rule & { insert?: boolean })[] = [
      { table: 'filter', chain: 'FORWARD', spec: `-j ${p}-FORWARD`, insert: true },
      { table: 'filter', chain: `${p}-FORWARD`, spec: `-j ${p}-ISOLATION-1`, insert: true },
      { table: 'nat', chain: 'PREROUTING', spec: `-m addrtype --dst-type LOCAL -j ${p}-DNAT` },
      { table: 'nat', chain: 'OUTPUT', spec: `-m addrtype --dst-type LOCAL -j ${p}-DNAT` },
      { table: 'nat', chain: 'POSTROUTING', spec: `-j ${p}-POSTROUTING` },
      { table: 'raw', chain: 'PREROUTING', spec: `-j ${p}-RAW` },
    ];
    return this.family === 6 ? all.filter((j) => j.table === 'filter') : all;
  }

  /** Rules of one bridge (default or user-defined). */
  bridgeRules(b: BridgeRuleInput): Rule[] {
    const p = this.prefix;
    const br = b.bridge;
    const rules: Rule[] = this.filterRules(b);
    if (!b.internal) {
      if (b.masquerade !== false) rules.push({ table: 'nat', chain: `${p}-POSTROUTING`, spec: `-s ${b.subnet} ! -o ${br} -j MASQUERADE` });
      rules.push(
        // 127.0.0.1:PORT from the host: route_localnet on the bridge + masquerade the source.
        { table: 'nat', chain: `${p}-POSTROUTING`, spec: `-s 127.0.0.0/8 -o ${br} -j MASQUERADE` },
        // Hairpin: a container reaching a published port of its own bridge via a host address.
        { table: 'nat', chain: `${p}-POSTROUTING`, spec: `-s ${b.subnet} -d ${b.subnet} -o ${br} -m conntrack --ctstate DNAT -j MASQUERADE` },
      );
    }
    rules.push({ table: 'raw', chain: `${p}-RAW`, spec: `-d 127.0.0.0/8 -i ${br} -j DROP` });
    return rules;
  }

  /** Isolation and forwarding of one bridge (the same text for iptables and ip6tables). */
  private filterRules(b: BridgeRuleInput): Rule[] {
    const p = this.prefix;
    const br = b.bridge;
    const f = (chain: string, spec: string): Rule => ({ table: 'filter', chain, spec });
    const icc = f(`${p}-FORWARD`, `-i ${br} -o ${br} -j ${b.icc === false ? 'DROP' : 'ACCEPT'}`);
    if (b.internal) {
      return [f(`${p}-ISOLATION-1`, `-i ${br} ! -o ${br} -j DROP`), f(`${p}-ISOLATION-1`, `-o ${br} ! -i ${br} -j DROP`), icc];
    }
    return [
      f(`${p}-ISOLATION-1`, `-i ${br} ! -o ${br} -j ${p}-ISOLATION-2`),
      f(`${p}-ISOLATION-2`, `-o ${br} -j DROP`),
      f(`${p}-FORWARD`, `-o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`),
      ...(b.icc === false ? [icc] : []),
      f(`${p}-FORWARD`, `-o ${br} -m conntrack --ctstate DNAT -j ACCEPT`),
      f(`${p}-FORWARD`, `-i ${br} -j ACCEPT`),
    ];
  }

  /** ip6tables rules of an IPv6-enabled bridge (a RuleSet of family 6). */
  bridgeRules6(b: BridgeRuleInput): Rule[] {
    return this.filterRules(b);
  }

  /** The DNAT rule of one published port. */
  portRule(r: PortRuleInput): Rule {
    const dst = r.hostIp && r.hostIp !== '0.0.0.0' ? `-d ${r.hostIp}/32 ` : '';
    return {
      table: 'nat',
      chain: `${this.prefix}-DNAT`,
      spec: `${dst}-p ${r.proto} -m ${r.proto} --dport ${r.hostPort} -m comment --comment "${this.prefix}:${r.containerId}" -j DNAT --to-destination ${r.containerIp}:${r.containerPort}`,
    };
  }

  /** Creates missing chains and jumps; adds `rules` not yet present. Idempotent, one restore. */
  async ensure(rules: Rule[]): Promise<void> {
    const saved = await saveAll(this.family);
    const text: Record<Table, string[]> = { filter: [], nat: [], raw: [] };
    for (const [table, chains] of Object.entries(this.chains()) as [Table, string[]][]) {
      for (const c of chains) if (!saved[table].has(`:${c}`)) text[table].push(`:${c} - [0:0]`);
    }
    for (const j of this.jumps()) {
      if (!saved[j.table].has(`-A ${j.chain} ${j.spec}`)) {
        text[j.table].push(j.insert ? `-I ${j.chain} 1 ${j.spec}` : `-A ${j.chain} ${j.spec}`);
      }
    }
    for (const r of rules) if (!saved[r.table].has(`-A ${r.chain} ${r.spec}`)) text[r.table].push(`-A ${r.chain} ${r.spec}`);
    await iptablesRestore(render(text), undefined, this.family);
  }

  /** Appends rules without checking (the per-container fast path). */
  async add(rules: Rule[], nsPath?: string): Promise<void> {
    await iptablesRestore(render(group(rules, '-A')), nsPath, this.family);
  }

  /** Deletes rules that are present (checked against iptables-save, so never fails on absence). */
  async remove(rules: Rule[]): Promise<void> {
    if (rules.length === 0) return;
    const saved = await saveAll(this.family);
    await iptablesRestore(render(group(rules.filter((r) => saved[r.table].has(`-A ${r.chain} ${r.spec}`)), '-D')), undefined, this.family);
  }

  /** Deletes the exact rules; falls back to `remove` when one is already gone. */
  async removeFast(rules: Rule[]): Promise<void> {
    if (rules.length === 0) return;
    try {
      await iptablesRestore(render(group(rules, '-D')), undefined, this.family);
    } catch {
      await this.remove(rules);
    }
  }

  /** Port rules of containers whose id is not in `live` (tagged with the comment). */
  async orphanPortRules(live: Set<string>): Promise<Rule[]> {
    const saved = await saveAll(this.family);
    const out: Rule[] = [];
    const re = new RegExp(`^-A (${this.prefix}-DNAT) (.*--comment "${this.prefix}:([0-9a-zA-Z_.-]+)".*)$`);
    for (const line of saved.nat) {
      const m = re.exec(line);
      if (m && !live.has(m[3]!)) out.push({ table: 'nat', chain: m[1]!, spec: m[2]! });
    }
    return out;
  }

  /** Removes every chain and jump of this prefix (tests, `uninstall`). */
  async uninstall(): Promise<void> {
    const saved = await saveAll(this.family);
    const text: Record<Table, string[]> = { filter: [], nat: [], raw: [] };
    for (const j of this.jumps()) if (saved[j.table].has(`-A ${j.chain} ${j.spec}`)) text[j.table].push(`-D ${j.chain} ${j.spec}`);
    for (const [table, chains] of Object.entries(this.chains()) as [Table, string[]][]) {
      for (const c of chains) if (saved[table].has(`:${c}`)) text[table].push(`-F ${c}`);
      for (const c of chains) if (saved[table].has(`:${c}`)) text[table].push(`-X ${c}`);
    }
    await iptablesRestore(render(text), undefined, this.family);
  }
}

function group(rules: Rule[], op: '-A' | '-D'): Record<Table, string[]> {
  const text: Record<Table, string[]> = { filter: [], nat: [], raw: [] };
  for (const r of rules) text[r.table].push(`${op} ${r.chain} ${r.spec}`);
  return text;
}

function render(text: Record<Table, string[]>): string {
  let out = '';
  for (const t of ['raw', 'nat', 'filter'] as Table[]) {
    if (text[t].length) out += `*${t}\n${text[t].join('\n')}\nCOMMIT\n`;
  }
  return out;
}

type Saved = Record<Table, Set<string>>;

async function saveAll(family: 4 | 6): Promise<Saved> {
  const tables: Table[] = family === 6 ? ['filter'] : ['filter', 'nat', 'raw'];
  const [filter, nat = '', raw = ''] = await Promise.all(tables.map((t) => iptablesSave(t, family)));
  const lines = (s: string) => new Set(s.split('\n').filter((l) => l.startsWith('-A') || l.startsWith(':')).map((l) => (l.startsWith(':') ? l.split(' ')[0]! : l)));
  return { filter: lines(filter!), nat: lines(nat!), raw: lines(raw!) };
}
