/** Daemon log lines in logrus text style: time="…" level=info msg="…" key=value. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export interface Logger {
  level: LogLevel;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in order;
}

export function createLogger(level: LogLevel = 'info', out: NodeJS.WritableStream = process.stderr): Logger {
  const logger: Logger = {
    level,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
  function write(l: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (order[l] < order[logger.level]) return;
    let line = `time="${new Date().toISOString()}" level=${l === 'warn' ? 'warning' : l} msg=${JSON.stringify(msg)}`;
    for (const [k, v] of Object.entries(fields ?? {})) line += ` ${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`;
    out.write(line + '\n');
  }
  return logger;
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = { level: 'fatal', debug() {}, info() {}, warn() {}, error() {} };
