/**
 * Simulated time: a queue of callbacks ordered by due time, then by scheduling order, so a run
 * is a pure function of its seed. Every simulated component schedules through it; nothing reads
 * the real clock.
 *
 * @module
 */

import { assert } from "../../../util/assert.ts";
import type { Clock, TimerHandle } from "../runtime_interfaces.ts";

interface ScheduledEvent {
  readonly dueMs: number;
  readonly sequence: number;
  readonly callback: () => void;
}

/** A deterministic discrete-event scheduler with a binary heap. */
export class SimScheduler {
  #nowMs = 0;
  #nextSequence = 1;
  #heap: ScheduledEvent[] = [];
  readonly #cancelled = new Set<number>();
  /** Number of events run so far. */
  eventCount = 0;

  get nowMs(): number {
    return this.#nowMs;
  }

  /** Runs `callback` at `nowMs + delayMs`; returns a handle for `cancel`. */
  schedule(delayMs: number, callback: () => void): number {
    assert(Number.isFinite(delayMs), `delay ${delayMs} is not finite`);
    assert(delayMs >= 0, `invalid delay ${delayMs}: must not be negative`);
    const event = { dueMs: this.#nowMs + delayMs, sequence: this.#nextSequence++, callback };
    this.#push(event);
    return event.sequence;
  }

  cancel(handle: number): void {
    this.#cancelled.add(handle);
  }

  /** Runs events due at or before `untilMs`, at most `maxEvents`; returns how many ran. */
  runUntil(untilMs: number, maxEvents: number): number {
    let ran = 0;
    while (ran < maxEvents) {
      const next = this.#heap[0];
      if (!next || next.dueMs > untilMs) break;
      this.#pop();
      if (this.#cancelled.delete(next.sequence)) continue;
      this.#nowMs = next.dueMs;
      next.callback();
      ran++;
      this.eventCount++;
    }
    if (ran < maxEvents) this.#nowMs = Math.max(this.#nowMs, untilMs);
    return ran;
  }

  /** Returns a {@linkcode Clock} for one node. Its timers stay silent once `isAlive` is false. */
  clockFor(isAlive: () => boolean): Clock {
    return {
      nowMs: () => this.#nowMs,
      setTimer: (delayMs: number, callback: () => void): TimerHandle =>
        this.schedule(delayMs, () => {
          if (isAlive()) callback();
        }),
      clearTimer: (handle: TimerHandle) => this.cancel(handle),
    };
  }

  #less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.sequence < b.sequence);
  }

  #push(event: ScheduledEvent): void {
    const heap = this.#heap;
    heap.push(event);
    let position = heap.length - 1;
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.#less(heap[position]!, heap[parent]!)) break;
      [heap[position], heap[parent]] = [heap[parent]!, heap[position]!];
      position = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let position = 0;
    for (;;) {
      const left = 2 * position + 1;
      const right = left + 1;
      let smallest = position;
      if (left < heap.length && this.#less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.#less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === position) break;
      [heap[position], heap[smallest]] = [heap[smallest]!, heap[position]!];
      position = smallest;
    }
  }
}
