import type { XmlAttributes, XmlEvents, XmlName, XmlScanner } from './xml-reader.js';

/**
 * Captures the values a record needs straight from the scanner's events, by
 * path, without building elements. A record schema (an `Ntry`, a `TxDtls`, …)
 * lists the paths below its element that are read; every other element is
 * skipped with its whole subtree, and its text is never even decoded.
 *
 * Path syntax: local names separated by `/`; `Name*` means every occurrence is
 * read (a list of texts, or of sub-records); otherwise only the first
 * occurrence counts, as "the element at this path" always meant here (a second
 * `Amt` in an entry is ignored, not merged). `@Name` as the last step captures
 * an attribute (by local name) of the element before it.
 *
 * Records are reused once released (see `Capturer.release`), so nothing is
 * cleared between uses: a slot counts only when its element starts after the
 * record's own start tag, which a value left from an earlier use never does.
 * Read slots through `text`, `present`, `records`, `texts` and `firstRecord`.
 */

export interface RecordSchema {
  readonly name: string;
  /** @internal */ readonly root: SchemaNode;
  /** @internal The many-slots that hold sub-records, and those that hold texts. */
  readonly recordSlots: readonly number[];
  /** @internal */ readonly listSlots: readonly number[];
  /** @internal Empty slot arrays, copied for each new record (a copy is much faster than a new filled array). */
  readonly empty: { readonly values: readonly undefined[]; readonly starts: readonly number[]; readonly many: readonly undefined[] };
}

export interface TypedSchema<P extends string, R extends string> extends RecordSchema {
  /** Slot of each value path (text, attribute, or presence of a container) in `Captured.values`/`starts`. */
  readonly value: Readonly<Record<P, number>>;
  /** Slot of each list or sub-record path in `Captured.many`. */
  readonly many: Readonly<Record<R, number>>;
}

interface SchemaNode {
  /** Unique over all schemas: an index for a capturer's lookup tables. */
  readonly id: number;
  readonly name: string;
  /** By local name; a sub-record's node shares the children of the sub-record's root. */
  children: Map<string, SchemaNode>;
  /** Slot in values/starts for a node read once; -1 for a repeated one. */
  slot: number;
  /** Slot in `many` for a repeated text or a sub-record; -1 otherwise. */
  many: number;
  repeat: boolean;
  /** Whether the element's own text is captured. */
  text: boolean;
  record: RecordSchema | null;
  /** One attribute captured, by local name, and its value slot. */
  attribute: string | null;
  attributeSlot: number;
}

/** The values of one record element, as read. Read it through the functions below. */
export interface Captured {
  readonly schema: RecordSchema;
  /** Offset of the record element's start tag. */
  start: number;
  /** Its 1-based line. */
  line: number;
  /** Trimmed text (null when empty) or attribute value (undefined when absent) by value slot. */
  readonly values: (string | null | undefined)[];
  /** Offset of the element's start tag by value slot; counts only when after `start`. */
  readonly starts: number[];
  /** Lists of trimmed, non-empty texts, or of sub-records, by many-slot; made on first use. */
  readonly many: (unknown[] | undefined)[];
}

let nodeIds = 0;

function node(name: string): SchemaNode {
  return { id: nodeIds++, name, children: new Map(), slot: -1, many: -1, repeat: false, text: false, record: null, attribute: null, attributeSlot: -1 };
}

/**
 * Builds a record schema from `values` (paths read once: texts, attributes,
 * containers whose presence matters), `lists` (repeated texts, `A/B*`) and
 * `records` (sub-records by path).
 */
export function recordSchema<P extends string, L extends string = never, R extends string = never>(
  name: string,
  values: readonly P[],
  lists: readonly L[] = [],
  records: Readonly<Record<R, RecordSchema>> = {} as Record<R, RecordSchema>,
): TypedSchema<P, L | R> {
  const root = node(name);
  let valueCount = 0;
  let manyCount = 0;
  const valueSlots = {} as Record<string, number>;
  const manySlots = {} as Record<string, number>;

  const walk = (path: string): SchemaNode => {
    let current = root;
    let insideRepeat = false;
    for (const step of path.split('/')) {
      const repeat = step.endsWith('*');
      const local = repeat ? step.slice(0, -1) : step;
      let next = current.children.get(local);
      if (!next) {
        next = node(local);
        next.repeat = repeat;
        if (!repeat) {
          if (insideRepeat) throw new Error(`schema ${name}: ${path}: a value read once below a repeated element needs a sub-record`);
          next.slot = valueCount++;
        }
        current.children.set(local, next);
      } else if (next.repeat !== repeat) {
        throw new Error(`schema ${name}: ${path}: ${local} is both repeated and not`);
      }
      insideRepeat ||= repeat;
      current = next;
    }
    return current;
  };

  for (const path of values) {
    const at = path.lastIndexOf('/@');
    if (at !== -1) {
      const element = walk(path.slice(0, at));
      element.attribute = path.slice(at + 2);
      element.attributeSlot = valueCount++;
      valueSlots[path] = element.attributeSlot;
    } else {
      const element = walk(path);
      element.text = true;
      valueSlots[path] = element.slot;
    }
  }
  const listSlots: number[] = [];
  for (const path of lists) {
    const element = walk(path);
    if (!element.repeat) throw new Error(`schema ${name}: list ${path} must end in *`);
    element.text = true;
    element.many = manyCount++;
    manySlots[path] = element.many;
    listSlots.push(element.many);
  }
  const recordSlots: number[] = [];
  for (const path of Object.keys(records) as R[]) {
    const element = walk(path);
    const record = records[path];
    if (element.children.size > 0) throw new Error(`schema ${name}: ${path}: a sub-record's paths belong in its own schema`);
    element.record = record;
    element.children = record.root.children;
    element.many = manyCount++;
    manySlots[path] = element.many;
    recordSlots.push(element.many);
  }
  const empty = {
    values: new Array<undefined>(valueCount).fill(undefined),
    starts: new Array<number>(valueCount).fill(-1),
    many: new Array<undefined>(manyCount).fill(undefined),
  };
  return { name, root, recordSlots, listSlots, empty, value: valueSlots as Record<P, number>, many: manySlots as Record<L | R, number> };
}

/** Whether the element at a value slot was present. */
export function present(record: Captured, slot: number): boolean {
  return record.starts[slot]! > record.start;
}

/** Offset of the element at a value slot, or -1 when absent. */
export function startOf(record: Captured, slot: number): number {
  const start = record.starts[slot]!;
  return start > record.start ? start : -1;
}

/** The text at a value slot, or null when absent or empty. */
export function text(record: Captured, slot: number): string | null {
  return record.starts[slot]! > record.start ? (record.values[slot] ?? null) : null;
}

/** The records captured at a sub-record slot, in file order. */
export function records(record: Captured, slot: number): readonly Captured[] {
  return (record.many[slot] as Captured[] | undefined) ?? NONE;
}

/** The first record captured at a sub-record slot, or null. */
export function firstRecord(record: Captured, slot: number): Captured | null {
  return (record.many[slot]?.[0] as Captured | undefined) ?? null;
}

/** The texts captured at a list slot, in file order (trimmed, empties dropped). Copy what is kept: the list is reused. */
export function texts(record: Captured, slot: number): readonly string[] {
  return (record.many[slot] as string[] | undefined) ?? NONE;
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * Follows the scanner's events below one element (the "top", at `topDepth`)
 * whose contents are described by `schema`, and calls `finish` for every
 * record element when it closes, innermost first. By default a finished
 * record is kept in its parent's list; `finish` may map it and then `release`
 * it: released records (with their sub-records) are reused for the next ones,
 * so reading 100,000 entries allocates a handful of records, not 400,000.
 */
export class Capturer implements Pick<XmlEvents, 'text' | 'close'> {
  private readonly nodes: (SchemaNode | null)[] = [];
  private readonly owners: Captured[] = [];
  /**
   * The text of the value element open at each depth: how many runs it had, the first run as a
   * byte range (decoded only when the element closes, and trimmed on its bytes), and the runs
   * decoded and joined when there are several (text around a comment, CDATA, mixed content).
   */
  private readonly runs: number[] = [];
  private readonly runFrom: number[] = [];
  private readonly runTo: number[] = [];
  private readonly runFlags: number[] = [];
  private readonly joined: string[] = [];
  /** Child of a schema node by the scanner's name id, filled on first use: no string lookup per element. */
  private readonly children: ((SchemaNode | null)[] | undefined)[] = [];
  private readonly pools = new Map<RecordSchema, Captured[]>();
  readonly top: Captured;

  constructor(
    private readonly scanner: XmlScanner,
    schema: RecordSchema,
    start: number,
    private readonly topDepth: number,
    private readonly finish: (record: Captured, parent: Captured, slot: number) => void = keep,
  ) {
    this.top = newCaptured(schema, start, scanner.tagLine);
    this.nodes[topDepth] = schema.root;
    this.owners[topDepth] = this.top;
  }

  open(name: XmlName, depth: number, start: number, attributes: XmlAttributes | null): void {
    const parent = this.nodes[depth - 1];
    if (!parent) {
      this.nodes[depth] = null;
      return;
    }
    let table = this.children[parent.id];
    if (table === undefined) this.children[parent.id] = table = [];
    let child = table[name.id];
    if (child === undefined) table[name.id] = child = parent.children.get(name.local) ?? null;
    if (child === null) {
      this.nodes[depth] = null;
      return;
    }
    let owner = this.owners[depth - 1]!;
    if (child.slot !== -1) {
      if (owner.starts[child.slot]! > owner.start) {
        // Only the first element at a path counts.
        this.nodes[depth] = null;
        return;
      }
      owner.starts[child.slot] = start;
    }
    if (child.record !== null) owner = this.make(child.record, start);
    if (child.attribute !== null) owner.values[child.attributeSlot] = attributes === null ? undefined : attribute(attributes, child.attribute);
    if (child.text) this.runs[depth] = 0;
    this.nodes[depth] = child;
    this.owners[depth] = owner;
  }

  text(from: number, to: number, flags: number, depth: number): void {
    const current = this.nodes[depth];
    if (!current || !current.text) return;
    const runs = this.runs[depth]!;
    if (runs === 0) {
      this.runFrom[depth] = from;
      this.runTo[depth] = to;
      this.runFlags[depth] = flags;
    } else {
      const before = runs === 1 ? this.scanner.text(this.runFrom[depth]!, this.runTo[depth]!, this.runFlags[depth]!) : this.joined[depth]!;
      this.joined[depth] = before + this.scanner.text(from, to, flags);
    }
    this.runs[depth] = runs + 1;
  }

  close(depth: number): void {
    const current = this.nodes[depth];
    if (!current) return;
    const owner = this.owners[depth]!;
    if (current.record !== null) {
      this.finish(owner, this.owners[depth - 1]!, current.many);
    } else if (current.text) {
      const runs = this.runs[depth]!;
      let value: string | null = null;
      if (runs === 1) value = this.scanner.trimmed(this.runFrom[depth]!, this.runTo[depth]!, this.runFlags[depth]!);
      else if (runs > 1) {
        value = trimmed(this.joined[depth]!);
        this.joined[depth] = '';
      }
      if (current.many === -1) {
        owner.values[current.slot] = value;
      } else if (value !== null) {
        const list = owner.many[current.many];
        if (list === undefined) owner.many[current.many] = [value];
        else list.push(value);
      }
    }
    if (depth === this.topDepth) this.nodes[depth] = null;
  }

  /**
   * Gives `record` and its sub-records back for reuse. The caller must hold on to
   * nothing of it but its texts (strings are values).
   */
  release(record: Captured): void {
    const many = record.many;
    const schema = record.schema;
    for (const slot of schema.recordSlots) {
      const list = many[slot] as Captured[] | undefined;
      if (list !== undefined) {
        for (const sub of list) this.release(sub);
        many[slot] = undefined;
      }
    }
    for (const slot of schema.listSlots) many[slot] = undefined;
    let pool = this.pools.get(schema);
    if (pool === undefined) this.pools.set(schema, (pool = []));
    if (pool.length < 64) pool.push(record);
  }

  private make(schema: RecordSchema, start: number): Captured {
    const line = this.scanner.tagLine;
    const reused = this.pools.get(schema)?.pop();
    if (reused === undefined) return newCaptured(schema, start, line);
    reused.start = start;
    reused.line = line;
    return reused;
  }
}

/** The default for a finished sub-record: kept in its parent, in file order. */
export function keep(record: Captured, parent: Captured, slot: number): void {
  const list = parent.many[slot];
  if (list === undefined) parent.many[slot] = [record];
  else list.push(record);
}

function newCaptured(schema: RecordSchema, start: number, line: number): Captured {
  const empty = schema.empty;
  return { schema, start, line, values: empty.values.slice(), starts: empty.starts.slice(), many: empty.many.slice() };
}

function attribute(attributes: XmlAttributes, localName: string): string | undefined {
  for (let i = 0; i < attributes.count; i++) {
    const name = attributes.names[i]!;
    if (name.local === localName && !name.qname.startsWith('xmlns')) return attributes.values[i]!.trim();
  }
  return undefined;
}

/** Trimmed as the reader always did (String#trim); null when nothing is left. */
function trimmed(value: string): string | null {
  const result = value.trim();
  return result === '' ? null : result;
}
