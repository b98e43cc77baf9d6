/**
 * Which provider API keys a fake provider currently accepts.
 * The fake admin APIs add and revoke keys here; the fake inference API checks them.
 */

/** What the registry knows about one key. */
export interface KeyRecord {
  readonly key: string;
  readonly id: string;
  readonly createdAt: number;
  revokedAt?: number;
  readonly meta: Readonly<Record<string, unknown>>;
}

/** An in-memory set of keys with their ids and revocation state. */
export class KeyRegistry {
  #byKey = new Map<string, KeyRecord>();
  #seq = 0;

  /** Adds a key (valid until revoked) and returns its record. */
  add(key: string, meta: Record<string, unknown> = {}, id?: string): KeyRecord {
    const record: KeyRecord = {
      key,
      id: id ?? `key_${(++this.#seq).toString().padStart(4, '0')}`,
      createdAt: Date.now(),
      meta,
    };
    this.#byKey.set(key, record);
    return record;
  }

  /** Revokes a key by value; unknown keys are ignored. */
  revoke(key: string): void {
    const r = this.#byKey.get(key);
    if (r && r.revokedAt === undefined) r.revokedAt = Date.now();
  }

  /** Revokes a key by id; returns false if no such id exists. */
  revokeById(id: string): boolean {
    for (const r of this.#byKey.values()) {
      if (r.id === id) {
        if (r.revokedAt === undefined) r.revokedAt = Date.now();
        return true;
      }
    }
    return false;
  }

  /** True if the key exists and is not revoked. */
  isValid(key: string): boolean {
    const r = this.#byKey.get(key);
    return r !== undefined && r.revokedAt === undefined;
  }

  /** Looks a key up by id. */
  byId(id: string): KeyRecord | undefined {
    for (const r of this.#byKey.values()) if (r.id === id) return r;
    return undefined;
  }

  /** Every key ever added, oldest first. */
  list(): readonly KeyRecord[] {
    return [...this.#byKey.values()];
  }

  /** Keys currently valid. */
  active(): readonly KeyRecord[] {
    return this.list().filter((r) => r.revokedAt === undefined);
  }
}
