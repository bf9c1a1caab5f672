/**
 * YAML documents that remember where every value came from, so that an error can name
 * file:line and the field path.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, isNode, type Document, type Node } from "yaml";

export type FieldPath = ReadonlyArray<string | number>;

export interface SourceDocument {
  file: string;
  /** The plain JavaScript value of the document. */
  value: unknown;
  /** 1-based line and column of the value at `path`, or of its closest existing parent. */
  locate(path: FieldPath): { line: number; column: number };
}

export class YamlSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`);
    this.name = "YamlSyntaxError";
  }
}

/** Renders a path the way users write it: `spec.routes[0].route[1].weight`. */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** Parses every document of a YAML stream; throws YamlSyntaxError on the first syntax error. */
export function parseYamlDocuments(text: string, file: string): SourceDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  const out: SourceDocument[] = [];
  let previousEnd = 0;
  for (const doc of docs) {
    const ownTextStart = previousEnd;
    previousEnd = doc.range?.[2] ?? previousEnd;
    const firstError = doc.errors[0];
    if (firstError) {
      const pos = lineCounter.linePos(firstError.pos[0]);
      throw new YamlSyntaxError(file, pos.line, pos.col, firstError.message.split("\n")[0] ?? "syntax error");
    }
    if (doc.contents === null) continue;
    out.push(toSourceDocument(doc, file, text.slice(ownTextStart, previousEnd), ownTextStart, lineCounter));
  }
  return out;
}

function toSourceDocument(doc: Document, file: string, ownText: string, ownTextStart: number, lineCounter: LineCounter): SourceDocument {
  // The syntax tree is ten times the size of its text, and most documents are never asked where a
  // value is after loading (a control plane holds thousands of resources for hours): it is held
  // weakly, and parsed again from the document's own text (its directives, marker and contents,
  // so that indentation and tags read the same) once collected.
  let tree: WeakRef<Document> | undefined = new WeakRef(doc);
  let treeOffset = 0;
  const currentTree = (): Document | undefined => {
    const held = tree?.deref();
    if (held || !tree) return held;
    const again = parseAllDocuments(ownText);
    const last = Array.isArray(again) ? again.at(-1) : undefined;
    if (!last || last.errors.length > 0) {
      // Never expected; locate then answers with the document's first line rather than parse again and again.
      tree = undefined;
      return undefined;
    }
    tree = new WeakRef(last);
    treeOffset = ownTextStart;
    return last;
  };
  const documentStart = (doc.contents as Node | null)?.range?.[0] ?? ownTextStart;
  return {
    file,
    value: doc.toJS({ maxAliasCount: 100 }),
    locate(path) {
      const current = currentTree();
      let node: Node | null = (current?.contents as Node | null) ?? null;
      let best = node;
      for (const part of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => (isNode(p.key) ? (p.key as { value?: unknown }).value : p.key) === part);
          if (!pair) break;
          // Point at the key when the value is missing, so "field required" errors land on the parent line.
          node = (isNode(pair.value) ? pair.value : isNode(pair.key) ? pair.key : null) as Node | null;
        } else if (isSeq(node) && typeof part === "number") {
          const item = node.items[part];
          node = isNode(item) ? (item as Node) : null;
        } else break;
        if (!node) break;
        best = node;
      }
      const offset = best?.range ? best.range[0] + treeOffset : documentStart;
      const pos = lineCounter.linePos(offset);
      return { line: pos.line, column: pos.col };
    },
  };
}
