// Small bounded maps/sets: remember recent ids (dedup, reference resolution) without growing forever.
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    return this.map.get(k);
  }
  has(k: K): boolean {
    return this.map.has(k);
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) {
      const first = this.map.keys().next();
      if (!first.done) this.map.delete(first.value);
    }
  }
  delete(k: K): void {
    this.map.delete(k);
  }
}

export class BoundedSet<K> {
  private readonly map: BoundedMap<K, true>;
  constructor(max: number) {
    this.map = new BoundedMap(max);
  }
  has(k: K): boolean {
    return this.map.has(k);
  }
  add(k: K): void {
    this.map.set(k, true);
  }
}
