/**
 * The serving state of a process, as gRPC health and /readyz report it. A service is SERVING when it
 * has started, is not draining, and every dependency it registered (NATS, chain, ...) is up.
 */

/** grpc.health.v1 serving states this process reports. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

type Listener = (status: ServingStatus) => void;

/** Readiness of one process: dependencies, start-up and draining. */
export class HealthState {
  private readonly deps = new Map<string, boolean>();
  private readonly services = new Set<string>(['']);
  private readonly listeners = new Set<Listener>();
  private started = false;
  private draining = false;
  private last: ServingStatus = 'NOT_SERVING';

  /** Declare a gRPC service name that health checks may ask about (they share the overall state). */
  addService(name: string): void {
    this.services.add(name);
  }

  /** True when `name` is '' (the whole server) or a registered service. */
  knows(name: string): boolean {
    return this.services.has(name);
  }

  /** Register or update a dependency; the process is not ready while any dependency is down. */
  setDependency(name: string, up: boolean): void {
    this.deps.set(name, up);
    this.update();
  }

  /** Start-up is complete: ready as soon as every dependency is up. */
  markStarted(): void {
    this.started = true;
    this.update();
  }

  /** Shutdown has begun: stop advertising readiness, forever. */
  markDraining(): void {
    this.draining = true;
    this.update();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** The current overall state. */
  status(): ServingStatus {
    return this.last;
  }

  /** Dependencies that are down, for /readyz and logs. */
  downDependencies(): string[] {
    return [...this.deps].filter(([, up]) => !up).map(([name]) => name);
  }

  /** Call `listener` on every change of the overall state; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private update(): void {
    const next: ServingStatus =
      this.started && !this.draining && [...this.deps.values()].every(Boolean) ? 'SERVING' : 'NOT_SERVING';
    if (next === this.last) return;
    this.last = next;
    for (const l of [...this.listeners]) l(next);
  }
}
