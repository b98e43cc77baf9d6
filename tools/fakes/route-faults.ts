/** Scripted failures of a fake's routes: "answer the next N calls to this route with status S". */
export class RouteFaults<Route extends string> {
  readonly #faults = new Map<Route, { status: number; times: number }>();

  /** Makes the next `times` calls to `route` answer `status` (replacing any earlier plan). */
  failNext(route: Route, status: number, times = 1): void {
    this.#faults.set(route, { status, times });
  }

  /** The status this call to `route` must answer, or `undefined` to serve it normally. */
  take(route: Route): number | undefined {
    const f = this.#faults.get(route);
    if (!f) return undefined;
    f.times -= 1;
    if (f.times <= 0) this.#faults.delete(route);
    return f.status;
  }
}
