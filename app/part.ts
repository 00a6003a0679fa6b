// A long-running part of an engine process (a worker, the API, a metrics endpoint, an embedded
// server): what it is called, and how it stops.
export interface Part {
  name: string;
  /** Stops taking work, finishes what is under way, and releases its connections. */
  stop(): Promise<void>;
}
