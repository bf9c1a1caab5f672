/**
 * `{{ expression }}` templates in scenario values and `file:` names.
 *
 *   expression := sum
 *   sum        := product (("+" | "-") product)*
 *   product    := unary (("*" | "/" | "%") unary)*
 *   unary      := "-" unary | atom
 *   atom       := number | name | "(" sum ")"
 *
 * Names are `vars:` entries, `--var` values and the loop variable `i` inside `repeat`. A string
 * that is exactly one template takes the value's type (`"{{ i * 10 }}"` becomes the number 10);
 * a template inside a longer string is spliced in as text (`shift-{{ i * 10 }}.yaml`).
 */

export type TemplateValue = string | number | boolean;
export type TemplateScope = Readonly<Record<string, TemplateValue>>;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

const TEMPLATE = /\{\{(.*?)\}\}/g;
const WHOLE = /^\s*\{\{(.*?)\}\}\s*$/;

export function hasTemplate(text: string): boolean {
  return text.includes("{{");
}

/** Renders one string; throws TemplateError naming the expression and the problem. */
export function renderString(text: string, scope: TemplateScope): TemplateValue {
  if (!hasTemplate(text)) return text;
  const whole = WHOLE.exec(text);
  if (whole && !whole[1]!.includes("{{")) return evaluate(whole[1]!, scope);
  return text.replace(TEMPLATE, (_, expr: string) => String(evaluate(expr, scope)));
}

/**
 * A deep copy of `value` with every string rendered. `onError` receives the path of a string
 * whose template failed; that string is left as written.
 */
export function renderValue(value: unknown, scope: TemplateScope, onError: (path: Array<string | number>, message: string) => void, path: Array<string | number> = []): unknown {
  if (typeof value === "string") {
    try {
      return renderString(value, scope);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      onError(path, err.message);
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => renderValue(v, scope, onError, [...path, i]));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderValue(v, scope, onError, [...path, k]);
    return out;
  }
  return value;
}

/** `--var k=v` text to a typed value: numbers and booleans as such, anything else a string. */
export function parseVarValue(text: string): TemplateValue {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

type Token = { kind: "num"; value: number } | { kind: "name"; value: string } | { kind: "op"; value: string };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/%()]))/y;
  let at = 0;
  while (at < expr.length) {
    if (/^\s*$/.test(expr.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expr);
    if (!m) throw new TemplateError(`{{${expr}}}: unexpected "${expr.slice(at).trim()[0]}" (expressions use names, numbers, + - * / % and parentheses)`);
    if (m[1] !== undefined) tokens.push({ kind: "num", value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: "name", value: m[2] });
    else tokens.push({ kind: "op", value: m[3]! });
    at = re.lastIndex;
  }
  return tokens;
}

export function evaluate(expr: string, scope: TemplateScope): TemplateValue {
  const tokens = tokenize(expr);
  if (tokens.length === 0) throw new TemplateError(`{{${expr}}}: empty expression`);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (why: string): never => {
    throw new TemplateError(`{{${expr}}}: ${why}`);
  };
  const num = (v: TemplateValue, op: string): number => {
    if (typeof v === "number") return v;
    if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    return fail(`"${op}" needs numbers, got ${JSON.stringify(v)}`);
  };
  const atom = (): TemplateValue => {
    const t = tokens[pos++];
    if (!t) return fail("expression ends too early");
    if (t.kind === "num") return t.value;
    if (t.kind === "name") {
      if (!(t.value in scope)) {
        const known = Object.keys(scope);
        return fail(`unknown name "${t.value}"${known.length ? ` (known: ${known.join(", ")})` : " (declare it under vars: or pass --var)"}`);
      }
      return scope[t.value]!;
    }
    if (t.value === "(") {
      const v = sum();
      if (tokens[pos++]?.value !== ")") fail('missing ")"');
      return v;
    }
    if (t.value === "-") return -num(atom(), "-");
    return fail(`unexpected "${t.value}"`);
  };
  const product = (): TemplateValue => {
    let left = atom();
    for (let t = peek(); t?.kind === "op" && "*/%".includes(t.value); t = peek()) {
      pos++;
      const a = num(left, t.value);
      const b = num(atom(), t.value);
      if ((t.value === "/" || t.value === "%") && b === 0) fail("division by zero");
      left = t.value === "*" ? a * b : t.value === "/" ? a / b : a % b;
    }
    return left;
  };
  const sum = (): TemplateValue => {
    let left = product();
    for (let t = peek(); t?.kind === "op" && (t.value === "+" || t.value === "-"); t = peek()) {
      pos++;
      const right = product();
      left =
        t.value === "+" && (typeof left === "string" || typeof right === "string") && !(isNumeric(left) && isNumeric(right))
          ? `${left}${right}`
          : t.value === "+"
            ? num(left, "+") + num(right, "+")
            : num(left, "-") - num(right, "-");
    }
    return left;
  };
  const value = sum();
  if (pos < tokens.length) fail(`unexpected "${tokens[pos]!.value}"`);
  return typeof value === "number" ? Math.round(value * 1e9) / 1e9 : value;
}

function isNumeric(v: TemplateValue): boolean {
  return typeof v === "number" || (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v));
}
