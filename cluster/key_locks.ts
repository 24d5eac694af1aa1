/**
 * Per-key mutual exclusion for read-modify-write operations on one node.
 *
 * A conditional write reads the current item, evaluates its condition and writes the result. Two
 * such writes to the same key must not interleave, or a counter loses an increment; writes to
 * different keys run concurrently and share WAL fsyncs. Multi-key operations acquire their locks in
 * sorted key order, so two of them can never wait for each other in a cycle.
 *
 * Runs on the request path. Locks are held across awaits, never across requests.
 *
 * @module
 */

/** Releases the locks taken by one {@linkcode KeyLocks.acquire} call. */
export type Release = () => void;

/** A set of named FIFO locks, created on first use and dropped when free. */
export class KeyLocks {
  /** For each locked key, the promise that resolves when its current holder releases it. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Number of keys currently locked or waited for. */
  get size(): number {
    return this.#tails.size;
  }

  /** Waits until every key in `keys` is free, then holds them until the release is called. */
  async acquire(keys: readonly string[]): Promise<Release> {
    const ordered = [...new Set(keys)].sort();
    const releases: Release[] = [];
    for (const key of ordered) releases.push(await this.#acquireOne(key));
    return () => {
      for (const release of releases) release();
    };
  }

  async #acquireOne(key: string): Promise<Release> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous === undefined ? done : previous.then(() => done);
    this.#tails.set(key, tail);
    if (previous !== undefined) await previous;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
