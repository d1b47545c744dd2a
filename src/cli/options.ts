/**
 * Typed option tables for the commands and their parser: node's parseArgs for the syntax, then each value
 * checked and converted. Every problem is a UsageError with a one-line message naming the flag.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

export interface OptionSpec {
  /** `minutes`: a time as 90s, 30m or 2h (a plain number: minutes), returned in minutes. */
  type: 'int' | 'float' | 'string' | 'boolean' | 'minutes';
  help: string;
  /** Shown in --help as "--flag <placeholder>". */
  placeholder?: string;
  default?: string | number | boolean;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export type OptionTable = Record<string, OptionSpec>;
export type OptionValues = Record<string, string | number | boolean | undefined>;

export interface CommandHelp {
  usage: string;
  summary: string;
  options: OptionTable;
  examples: string[];
}

export function formatHelp(help: CommandHelp): string {
  const rows = Object.entries(help.options).map(([name, o]) => {
    const flag =
      o.type === 'boolean'
        ? `--${name}`
        : `--${name} <${o.placeholder ?? (o.choices ? o.choices.join('|') : o.type === 'string' ? 'value' : o.type === 'minutes' ? 'time' : 'n')}>`;
    const def = o.default === undefined ? '' : ` (default: ${o.default})`;
    return [flag, `${o.help}${def}`];
  });
  rows.push(['--help, -h', 'show this help']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `Usage: ${help.usage}`,
    '',
    help.summary,
    '',
    'Options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`),
    '',
    'Examples:',
    ...help.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/**
 * Parses `--flag value` arguments against a table; returns null when --help was asked for. With
 * `positionals`, that many plain arguments are required and returned under `_` (space-joined names).
 */
export function parseOptions(
  command: string,
  argv: string[],
  table: OptionTable,
  positionals: string[] = [],
): (OptionValues & { _: string[] }) | null {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(table)) config[name] = { type: o.type === 'boolean' ? 'boolean' : 'string' };
  // parseArgs reads "-1" after a flag as another flag; join negative numbers to their flag.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    if (name != null && table[name] != null && table[name].type !== 'boolean' && /^-[\d.]/.test(argv[i + 1] ?? '')) {
      args.push(`${argv[i]}=${argv[++i]}`);
    } else {
      args.push(argv[i]);
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: config, strict: true, allowPositionals: positionals.length > 0 });
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'--?([^' =]+)/.exec(e.message)?.[1] : undefined;
    const near = unknown ? closest(unknown, Object.keys(table)) : null;
    throw new UsageError(
      `${describeParseError(e)}${near ? ` (did you mean --${near}?)` : ''} (see gantry ${command} --help)`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return null;
  if (parsed.positionals.length > positionals.length) {
    throw new UsageError(
      `unexpected argument '${parsed.positionals[positionals.length]}' (see gantry ${command} --help)`,
    );
  }
  if (parsed.positionals.length < positionals.length) {
    throw new UsageError(
      `missing ${positionals
        .slice(parsed.positionals.length)
        .map((p) => `<${p}>`)
        .join(' ')} (see gantry ${command} --help)`,
    );
  }
  const out = { _: parsed.positionals } as unknown as OptionValues & { _: string[] };
  for (const [name, o] of Object.entries(table)) {
    const raw = values[name];
    out[name] = raw === undefined ? o.default : convert(name, o, raw);
  }
  return out;
}

/** '90s', '30m', '1.5h' or a plain number (minutes) in minutes; null for anything else. */
export function parseMinutes(text: string): number | null {
  const m = /^(\d+\.?\d*|\.\d+)\s*(s|m|min|h)?$/.exec(text.trim());
  if (m == null) return null;
  const value = Number(m[1]);
  return m[2] === 's' ? value / 60 : m[2] === 'h' ? value * 60 : value;
}

/** The option within edit distance 2 of `name` (typos like --gp-weigth), if one is clearly closest. */
function closest(name: string, options: string[]): string | null {
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++)
        next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length];
  };
  const ranked = options.map((o) => [o, distance(name, o)] as const).sort((a, b) => a[1] - b[1]);
  return ranked.length > 0 && ranked[0][1] <= 2 && (ranked.length === 1 || ranked[1][1] > ranked[0][1])
    ? ranked[0][0]
    : null;
}

function describeParseError(err: Error & { code?: string }): string {
  const flag = /'(-[^' ]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${flag ?? 'an option'} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''}`.trim();
    default:
      return err.message.split('\n')[0];
  }
}

function convert(name: string, o: OptionSpec, raw: string | boolean): string | number | boolean {
  if (o.type === 'boolean') return raw;
  const text = String(raw);
  if (o.type === 'string') {
    if (text === '') throw new UsageError(`--${name} needs a value`);
    if (o.choices && !o.choices.includes(text))
      throw new UsageError(`--${name} must be one of ${o.choices.join(', ')}, got '${text}'`);
    return text;
  }
  if (o.type === 'minutes') {
    const minutes = parseMinutes(text);
    if (minutes == null) throw new UsageError(`--${name} must be a time such as 90s, 30m or 2h, got '${text}'`);
    if ((o.min !== undefined && minutes < o.min) || (o.max !== undefined && minutes > o.max))
      throw new UsageError(`--${name} must be between ${o.min ?? 0} and ${o.max ?? '∞'} minutes, got ${text}`);
    return minutes;
  }
  const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${text}'`);
  if (o.type === 'int' && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${text}'`);
  if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
    throw new UsageError(`--${name} must be between ${o.min ?? '-∞'} and ${o.max ?? '∞'}, got ${text}`);
  }
  return n;
}
