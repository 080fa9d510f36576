/**
 * Drivers by name: the composition root (src/daemon/daemon.ts) registers each implementation
 * of a driver kind (network, snapshot, runtime, volume) under its name, and the engine looks
 * them up by the name a client or daemon.json gives (`network create -d`, `--runtime`,
 * `storage-driver`, `volume create -d`). A new implementation is one `register` line.
 *
 *   const networks = new DriverRegistry<NetworkDriver>('network', (n) => new NotFoundError(`plugin "${n}" not found`));
 *   networks.register('bridge', bridge);
 *   networks.get('bridge');   // the driver; an unknown name throws notFound(name)
 *   networks.find('macvlan'); // undefined
 *
 * Factories (`registerFactory`) are for kinds whose instance needs the daemon's config and is
 * made once, for the one name picked (the storage driver: only the chosen one touches disk).
 */
export class DriverRegistry<T> {
  readonly #drivers = new Map<string, T>();
  readonly #factories = new Map<string, () => T>();
  readonly #order: string[] = [];

  /** `kind` names the registry in errors; `notFound` builds the error for an unknown name. */
  constructor(readonly kind: string, private readonly notFound: (name: string) => Error = (n) => new Error(`${kind} driver "${n}" not found`)) {}

  register(name: string, driver: T): this {
    if (this.has(name)) throw new Error(`${this.kind} driver "${name}" is registered twice`);
    this.#drivers.set(name, driver);
    this.#order.push(name);
    return this;
  }

  /** Registers a constructor run by the first `get(name)` (its instance is kept). */
  registerFactory(name: string, make: () => T): this {
    if (this.has(name)) throw new Error(`${this.kind} driver "${name}" is registered twice`);
    this.#factories.set(name, make);
    this.#order.push(name);
    return this;
  }

  has(name: string): boolean {
    return this.#drivers.has(name) || this.#factories.has(name);
  }

  /** The driver registered as `name`, made now if it was registered as a factory; undefined when none. */
  find(name: string): T | undefined {
    const made = this.#drivers.get(name);
    if (made !== undefined) return made;
    const make = this.#factories.get(name);
    if (!make) return undefined;
    const d = make();
    this.#factories.delete(name);
    this.#drivers.set(name, d);
    return d;
  }

  /** Like find, but an unknown name throws the registry's not-found error. */
  get(name: string): T {
    const d = this.find(name);
    if (d === undefined) throw this.notFound(name);
    return d;
  }

  /** Registered names, in registration order (factories not made yet included). */
  names(): string[] {
    return [...this.#order];
  }

  /** The instances made so far (factories not asked for are left out). */
  instances(): T[] {
    return this.#order.filter((n) => this.#drivers.has(n)).map((n) => this.#drivers.get(n)!);
  }
}
