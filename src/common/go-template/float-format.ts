/**
 * Go's strconv.FormatFloat for the 'e', 'f' and 'g' formats, on float64: exact decimal
 * expansion (via BigInt), Go's round-half-even on exact ties, and the %g rule choosing %e
 * when the exponent is < -4 or >= the precision (6 for the shortest form). fmt's %v on a
 * float, go-units' "%.3g" sizes and printf "%5.2f" all go through here.
 */

interface Digits { d: string; dp: number }

/** Exact decimal digits of a positive finite double (no leading/trailing zeros). */
function exactDigits(x: number): Digits {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const expField = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = expField === 0 ? frac : frac | (1n << 52n);
  const exp = expField === 0 ? -1074 : expField - 1075;
  let d: string;
  let dp: number;
  if (exp >= 0) {
    d = (mant << BigInt(exp)).toString();
    dp = d.length;
  } else {
    d = (mant * 5n ** BigInt(-exp)).toString();
    dp = d.length + exp;
  }
  return trim({ d, dp });
}

function trim(x: Digits): Digits {
  let d = x.d.replace(/0+$/, '');
  const lead = d.length - d.replace(/^0+/, '').length;
  d = d.slice(lead);
  return d === '' ? { d: '', dp: 0 } : { d, dp: x.dp - lead };
}

/** Rounds to `nd` significant digits, ties to even like Go's decimal.Round. */
function roundDigits(x: Digits, nd: number): Digits {
  if (nd < 0 || nd >= x.d.length) return nd < 0 ? { d: '', dp: 0 } : x;
  const next = x.d[nd]!;
  let up: boolean;
  if (next === '5' && nd + 1 === x.d.length) up = nd > 0 && Number(x.d[nd - 1]) % 2 === 1;
  else up = next >= '5';
  if (!up) return trim({ d: x.d.slice(0, nd), dp: x.dp });
  const arr = x.d.slice(0, nd).split('').map(Number);
  let i = nd - 1;
  while (i >= 0 && arr[i] === 9) { arr[i] = 0; i--; }
  if (i < 0) return { d: '1', dp: x.dp + 1 };
  arr[i]!++;
  return trim({ d: arr.join(''), dp: x.dp });
}

/** Shortest digits that round-trip (what JS and Go both compute for prec -1). */
function shortestDigits(x: number): Digits {
  const [mant, e] = x.toExponential().split('e') as [string, string];
  return trim({ d: mant.replace('.', ''), dp: Number(e) + 1 });
}

function digitAt(x: Digits, i: number): string {
  return i >= 0 && i < x.d.length ? x.d[i]! : '0';
}

function fmtE(x: Digits, prec: number, e: string): string {
  let s = digitAt(x, 0);
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(x, i);
  }
  const exp = x.d === '' ? 0 : x.dp - 1;
  const abs = Math.abs(exp);
  return `${s}${e}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

function fmtF(x: Digits, prec: number): string {
  let s = '';
  if (x.dp > 0) for (let i = 0; i < x.dp; i++) s += digitAt(x, i);
  else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(x, x.dp + i);
  }
  return s;
}

/**
 * strconv.FormatFloat(v, fmt, prec, 64). `prec` -1 means the shortest representation.
 * Returns "+Inf", "-Inf" or "NaN" for non-finite values, like Go.
 */
export function formatFloat(v: number, fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const abs = Math.abs(v);
  const shortest = prec < 0;
  let digs: Digits;
  const lower = fmt.toLowerCase();
  if (abs === 0) digs = { d: '', dp: 0 };
  else if (shortest) digs = shortestDigits(abs);
  else {
    const exact = exactDigits(abs);
    if (lower === 'e') digs = roundDigits(exact, prec + 1);
    else if (lower === 'f') digs = roundDigits(exact, exact.dp + prec);
    else digs = roundDigits(exact, prec === 0 ? 1 : prec);
  }
  const e = fmt === 'E' || fmt === 'G' ? 'E' : 'e';
  let body: string;
  if (lower === 'e') body = fmtE(digs, shortest ? Math.max(digs.d.length - 1, 0) : prec, e);
  else if (lower === 'f') body = fmtF(digs, shortest ? Math.max(digs.d.length - digs.dp, 0) : prec);
  else {
    let p = shortest ? digs.d.length : prec === 0 ? 1 : prec;
    let eprec = p;
    if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
    if (shortest) eprec = 6;
    const exp = digs.dp - 1;
    if (digs.d !== '' && (exp < -4 || exp >= eprec)) {
      if (p > digs.d.length) p = digs.d.length;
      body = fmtE(digs, Math.max(p - 1, 0), e);
    } else {
      if (p > digs.dp) p = digs.d.length;
      body = fmtF(digs, Math.max(p - digs.dp, 0));
    }
  }
  return (neg ? '-' : '') + body;
}
