/**
 * fauxqs 1.9 keeps a standard queue's waiting messages in a plain array and takes each received
 * message off its front with `shift()`. Past about 50,000 elements V8 copies the whole array on
 * every shift, so a receive costs time in proportion to the backlog: about 0.06 ms a message
 * with 100,000 waiting, 0.5 ms with a million, 1.5 ms with two. `churnwatch simulate` posts a
 * large shop faster than the pipeline applies it, so the events queue does get that deep, and
 * receiving alone would then cap local mode at a few hundred to a thousand events a second.
 *
 * `Backlog` is a queue with constant-time `push` and `shift` that offers everything fauxqs uses
 * of that array (`push`, `shift`, `length`, iteration; assigning an array replaces the contents),
 * and `useFastBacklogs` makes every queue fauxqs creates from then on keep its messages in one.
 */
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Dropped slots at the front are reclaimed once there are this many and they are half. */
const COMPACT_AFTER = 1024;

export class Backlog<T> implements Iterable<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  constructor(initial: Iterable<T> = []) {
    this.items = [...initial];
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(...values: T[]): number {
    for (const value of values) this.items.push(value);
    return this.length;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head];
    this.items[this.head] = undefined; // let it be collected once handled
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  /** Replaces the contents (fauxqs assigns `[]` to purge a queue). */
  reset(values: Iterable<T>): void {
    this.items = [...values];
    this.head = 0;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let index = this.head; index < this.items.length; index += 1) {
      yield this.items[index] as T;
    }
  }
}

interface QueueWithMessages {
  messages: unknown;
}

function isQueue(value: unknown): value is QueueWithMessages {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray((value as { messages?: unknown }).messages)
  );
}

/** Moves one fauxqs queue's waiting messages into a `Backlog`; false when it has no array. */
export function useBacklog(queue: unknown): boolean {
  if (!isQueue(queue)) return false;
  const backlog = new Backlog(queue.messages as unknown[]);
  Object.defineProperty(queue, "messages", {
    configurable: true,
    enumerable: true,
    get: () => backlog,
    set: (values: Iterable<unknown>) => backlog.reset(values),
  });
  return true;
}

type CreateQueue = (...args: unknown[]) => unknown;
const PATCHED = Symbol.for("churnwatch.fastBacklogs");

/**
 * Makes `createQueue` of the given store class (fauxqs' `SqsStore`) give every new queue a
 * `Backlog`. Idempotent. False when the class does not look like the one this was written for.
 */
export function patchStoreClass(storeClass: unknown): boolean {
  const prototype = (storeClass as { prototype?: Record<PropertyKey, unknown> } | undefined)
    ?.prototype;
  const original = prototype?.createQueue;
  if (!prototype || typeof original !== "function") return false;
  if (prototype[PATCHED]) return true;
  prototype.createQueue = function createQueue(this: unknown, ...args: unknown[]) {
    const queue = (original as CreateQueue).apply(this, args);
    useBacklog(queue);
    return queue;
  };
  prototype[PATCHED] = true;
  return true;
}

/**
 * fauxqs' `SqsStore` class, from the installed package's files: the package does not export it,
 * and its `exports` keep `require.resolve` out, so the file is looked up where Node's resolution
 * would find the package (the real path, so it is the very module the server imports).
 */
export async function loadFauxqsStoreClass(): Promise<unknown> {
  const searched = createRequire(import.meta.url).resolve.paths("fauxqs") ?? [];
  for (const directory of searched) {
    const file = join(directory, "fauxqs", "dist", "sqs", "sqsStore.js");
    if (!existsSync(file)) continue;
    const module = (await import(pathToFileURL(realpathSync(file)).href)) as { SqsStore?: unknown };
    return module.SqsStore;
  }
  return undefined;
}

let installed: Promise<boolean> | undefined;

/**
 * Gives every queue fauxqs creates in this process from now on a constant-time backlog.
 * Resolves to false, changing nothing, when fauxqs' files are not as expected.
 */
export function useFastBacklogs(): Promise<boolean> {
  installed ??= loadFauxqsStoreClass().then(patchStoreClass, () => false);
  return installed;
}
