// One small JSON file of the node's state (settings, libraries, contacts, secrets) and its value in
// memory; each store is its domain's methods over this class. The file is read with readJsonFile
// (a bad file is set aside, never deleted, and the store starts from its defaults and says so);
// every change runs in turn with the others, is checked against the file's schema and is on disk
// before it is in memory and announced, so nobody is told about something a crash would take back.

import { EventEmitter } from 'node:events';
import path from 'node:path';
import { z } from 'zod';
import { describeSchemaIssues } from '../../../src-shared/schemaIssues.js';
import { SerialQueue } from '../../../src-shared/serialQueue.js';
import { readJsonFile, writeJsonFileAtomic } from './jsonFile.js';

export interface JsonStoreOptions<T> {
  /** The file's name in the data directory; also how the problem sentence names it. */
  fileName: string;
  /** What the file must hold; its output is the value in memory. */
  schema: z.ZodType<T>;
  /** The value when there is no file, or it was set aside. */
  defaults: () => T;
  /** What follows for the user when the file was set aside, added to the problem sentence. */
  whenSetAside?: string;
}

/** A store's file as read at start, for its constructor. */
export interface LoadedJsonFile<T> {
  file: string;
  options: JsonStoreOptions<T>;
  value: T;
  problem: string | null;
}

/** Reads `<dataDir>/<options.fileName>` for a JsonStore. */
export async function loadJsonFile<T>(dataDir: string, options: JsonStoreOptions<T>): Promise<LoadedJsonFile<T>> {
  const file = path.join(dataDir, options.fileName);
  const read = await readJsonFile(file, options.schema, options.defaults, options.fileName);
  const problem = read.problem !== null && options.whenSetAside ? `${read.problem}; ${options.whenSetAside}` : read.problem;
  return { file, options, value: read.value, problem };
}

/** What a change computes from the current value: the value to store, and what the caller gets. */
export interface JsonStoreChange<T, R> {
  /** The new value; the current value itself (the same object) when nothing changes. */
  next: T;
  result: R;
}

// `[never]` is what EventEmitter takes for "no declared events".
export abstract class JsonStore<T, Events extends Record<keyof Events, unknown[]> | [never] = [never]> extends EventEmitter<Events> {
  /** The file's absolute path. */
  readonly file: string;
  /** One sentence for the user when the file was bad and set aside; null otherwise. */
  readonly problem: string | null;
  private readonly options: JsonStoreOptions<T>;
  private current: T;
  private readonly changes = new SerialQueue();

  protected constructor(loaded: LoadedJsonFile<T>) {
    super();
    this.file = loaded.file;
    this.problem = loaded.problem;
    this.options = loaded.options;
    this.current = loaded.value;
  }

  /** The current value. It is shared, not copied: read it, never change it in place. */
  protected get value(): T {
    return this.current;
  }

  /** Tells listeners about a value that is now on disk and in memory (the domain's own events). */
  protected announce(_value: T): void {}

  /**
   * Runs `change` on the current value, in turn with every other change (each sees what the ones
   * before it stored). A new value is checked with the schema, written atomically, then kept and
   * announced; `next` === the current value writes and announces nothing. What `change` throws,
   * or a value the schema refuses, rejects this call and changes nothing.
   */
  protected mutate<R>(change: (current: T) => JsonStoreChange<T, R>): Promise<R> {
    return this.changes.run(async () => {
      const { next, result } = change(this.current);
      if (next === this.current) return result;
      const checked = this.options.schema.safeParse(next);
      if (!checked.success) {
        throw new Error(`${this.options.fileName} was not changed: the new content does not fit its schema (${describeSchemaIssues(checked.error)})`);
      }
      await writeJsonFileAtomic(this.file, checked.data);
      this.current = checked.data;
      this.announce(checked.data);
      return result;
    });
  }
}

/** A file that holds one list of records: `{ "version": 1, "<listName>": [ ... ] }`. */
export type ListFile<K extends string, Item> = { version: 1 } & { [P in K]: Item[] };

export interface ListFileRules<Item> {
  /** The most records the file may hold. */
  max: number;
  /** The message when it holds more. */
  tooMany: string;
  /** The field no two records may share (an id). */
  uniqueField: keyof Item & string;
  /** The message when two records share it. */
  duplicate: (value: string) => string;
}

/** The schema of a ListFile of `record`s: version 1, a bounded list, no two records alike in `uniqueField`. */
export function listFileSchema<K extends string, Item extends object>(
  listName: K,
  record: z.ZodType<Item>,
  rules: ListFileRules<Item>,
): z.ZodType<ListFile<K, Item>> {
  const shape = { version: z.literal(1), [listName]: z.array(record).max(rules.max, rules.tooMany) };
  const schema = z.object(shape) as unknown as z.ZodType<ListFile<K, Item>>;
  return schema.superRefine((file, ctx) => {
    const seen = new Set<string>();
    file[listName].forEach((item, index) => {
      const value = String(item[rules.uniqueField]);
      if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [listName, index, rules.uniqueField], message: rules.duplicate(value) });
      seen.add(value);
    });
  });
}

export interface ListStoreEvents<Item> {
  /** The list changed: all of it, in order (copies). */
  change: [items: Item[]];
}

/**
 * A store whose file is one list of records (libraries, contacts). The records go out as copies
 * (list(), 'change', the results of changes), so nobody changes the store's own in place.
 */
export abstract class JsonListStore<K extends string, Item extends object> extends JsonStore<ListFile<K, Item>, ListStoreEvents<Item>> {
  protected constructor(
    loaded: LoadedJsonFile<ListFile<K, Item>>,
    private readonly listName: K,
  ) {
    super(loaded);
  }

  /** The records, in order (copies). */
  list(): Item[] {
    return this.items.map((item) => ({ ...item }));
  }

  /** The records themselves: read them, never change them in place. */
  protected get items(): Item[] {
    return this.value[this.listName];
  }

  protected override announce(): void {
    this.emit('change', this.list());
  }

  /** A change of the list (the same array when nothing changes); resolves to a copy of `result`. */
  protected changeList(change: (items: Item[]) => { next: Item[]; result: Item }): Promise<Item> {
    return this.mutate((file) => {
      const items = file[this.listName];
      const { next, result } = change(items);
      const nextFile = next === items ? file : ({ version: 1, [this.listName]: next } as ListFile<K, Item>);
      return { next: nextFile, result: { ...result } };
    });
  }
}
