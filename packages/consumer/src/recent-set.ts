/**
 * The last `capacity` values added, for cheap "seen lately?" questions: a Set that forgets its
 * oldest entry when full.
 */
export class RecentSet<T> {
  private readonly values = new Set<T>();

  constructor(private readonly capacity: number) {}

  add(value: T): void {
    this.values.delete(value);
    this.values.add(value);
    if (this.values.size > this.capacity) {
      const oldest = this.values.values().next();
      if (!oldest.done) this.values.delete(oldest.value);
    }
  }

  has(value: T): boolean {
    return this.values.has(value);
  }

  get size(): number {
    return this.values.size;
  }
}
