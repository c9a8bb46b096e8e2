// A tiny reader for the YAML subset our config files use: block mappings, block sequences of
// scalars or mappings, flow sequences of scalars ([a, b]), plain/quoted scalars, booleans,
// numbers and # comments. Anything else (anchors, multi-line strings, tags, flow mappings)
// throws, so the test notices if the file starts using syntax this reader does not know.
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly indent: number;
  readonly text: string;
  readonly no: number;
}

function stripComment(raw: string): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(raw[i - 1]!))) return raw.slice(0, i);
  }
  return raw;
}

function scalar(raw: string, no: number): YamlValue {
  const s = raw.trim();
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Error(`line ${no}: unterminated string`);
    return JSON.parse(s) as string;
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`line ${no}: unterminated string`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new Error(`line ${no}: unterminated flow sequence`);
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((p) => scalar(p, no));
  }
  if (/^[{&*!|>]/.test(s)) throw new Error(`line ${no}: unsupported YAML syntax: ${s}`);
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null' || s === '~' || s === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}

function splitKey(text: string, no: number): [string, string] {
  const m = /^("[^"]*"|'[^']*'|[^:#]+?):(?:\s+(.*))?$/.exec(text);
  if (!m) throw new Error(`line ${no}: expected "key: value", got ${text}`);
  const key = scalar(m[1]!, no);
  return [String(key), m[2] ?? ''];
}

export function parseYamlSubset(source: string): YamlValue {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: tabs are not allowed`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), no: i + 1 });
  });
  let pos = 0;

  function block(indent: number): YamlValue {
    const first = lines[pos];
    if (!first || first.indent < indent) return null;
    return first.text.startsWith('- ') || first.text === '-' ? sequence(first.indent) : mapping(first.indent);
  }

  function valueAfter(rest: string, parentIndent: number, no: number): YamlValue {
    if (rest !== '') return scalar(rest, no);
    const next = lines[pos];
    if (!next || next.indent <= parentIndent) {
      // "key:" followed by a sequence at the same indent is allowed in YAML.
      if (next && next.indent === parentIndent && next.text.startsWith('- ')) return sequence(parentIndent);
      return null;
    }
    return block(next.indent);
  }

  function mapping(indent: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    while (pos < lines.length && lines[pos]!.indent === indent && !lines[pos]!.text.startsWith('- ')) {
      const line = lines[pos++]!;
      const [key, rest] = splitKey(line.text, line.no);
      if (Object.hasOwn(out, key)) throw new Error(`line ${line.no}: duplicate key ${key}`);
      out[key] = valueAfter(rest, indent, line.no);
    }
    const stray = lines[pos];
    if (stray && stray.indent > indent) throw new Error(`line ${stray.no}: bad indentation`);
    return out;
  }

  function sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && (lines[pos]!.text.startsWith('- ') || lines[pos]!.text === '-')) {
      const line = lines[pos]!;
      const item = line.text.slice(1).trimStart();
      const itemIndent = indent + (line.text.length - item.length);
      if (/^("[^"]*"|'[^']*'|[^:#"'[\]]+?):(\s|$)/.test(item)) {
        // "- key: value" starts a mapping whose keys are aligned with `key`.
        lines[pos] = { indent: itemIndent, text: item, no: line.no };
        out.push(mapping(itemIndent));
      } else {
        pos++;
        out.push(item === '' ? block(indent + 1) : scalar(item, line.no));
      }
    }
    return out;
  }

  const result = block(0);
  if (pos !== lines.length) throw new Error(`line ${lines[pos]!.no}: could not parse`);
  return result;
}
