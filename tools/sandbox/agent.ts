/**
 * The API-side state of one process that long-polls for events (an extension or the
 * runtime): its queued events, its parked `/next` request and whether it is busy.
 *
 * Lambda's rule: calling `/next` means "done with the previous event (or with init)".
 * An agent is busy from the moment an event is queued for it (or from launch) until it
 * calls `/next` with nothing left to deliver.
 */

/** A parked long-poll request the agent is waiting on. */
export interface LongPoll {
  /** Answers the request; returns false if the client already went away. */
  send(event: QueuedEvent): boolean;
  /** True once the client closed the connection. */
  readonly closed: boolean;
}

/** An event waiting for delivery: a JSON body plus response headers. */
export interface QueuedEvent {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Long-poll bookkeeping for one agent. */
export class Agent {
  readonly #queue: QueuedEvent[] = [];
  #poll: LongPoll | undefined;
  #busy = true;
  #polledOnce = false;
  #firstPollAt: number | undefined;
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  /** True from launch or event delivery until the agent calls `/next` with nothing queued. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Epoch ms of the first `/next` (end of this agent's init), if any. */
  get firstPollAt(): number | undefined {
    return this.#firstPollAt;
  }

  /** True once the agent called `/next` at least once. */
  get polledOnce(): boolean {
    return this.#polledOnce;
  }

  /** Queues an event and delivers it at once if the agent is parked in `/next`. */
  enqueue(event: QueuedEvent): void {
    this.#queue.push(event);
    this.#busy = true;
    this.#flush();
    this.#onChange();
  }

  /** Handles a `/next` call: delivers a queued event or parks the request. */
  poll(poll: LongPoll): void {
    if (!this.#polledOnce) this.#firstPollAt = Date.now();
    this.#polledOnce = true;
    // A newer poll replaces an older one (the client gave up on it).
    this.#poll = poll;
    if (this.#queue.length === 0) this.#busy = false;
    this.#flush();
    this.#onChange();
  }

  /** Forgets the parked request (its connection closed). */
  dropPoll(poll: LongPoll): void {
    if (this.#poll === poll) this.#poll = undefined;
  }

  /** Discards queued events (the agent is being torn down). */
  clear(): void {
    this.#queue.length = 0;
    this.#poll = undefined;
  }

  #flush(): void {
    while (this.#poll && this.#queue.length > 0) {
      const poll = this.#poll;
      this.#poll = undefined;
      const event = this.#queue[0];
      if (event === undefined) return;
      if (poll.send(event)) this.#queue.shift();
    }
  }
}
