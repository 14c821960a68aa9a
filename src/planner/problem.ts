// The abstract placement problem (the JSON `switchyard plan problem.json` reads) and the policy.
// Field names are a contract: add fields, never rename.

export interface ProblemDevice {
  id: string;
  /** $/hour while running a task; 0 (a device you own) when absent. */
  pricePerHour?: number;
  /** Memory capacity, bytes: tasks placed on the device must fit together (weights stay resident). */
  memoryBytes?: number;
}

export interface ProblemLink {
  between: [string, string];
  latencyMs: number;
  bytesPerMs: number;
}

/** An LLM node: prefill then decode; TTFT and TPOT targets apply to it. */
export interface LlmTask {
  prefillMs: Record<string, number>;
  decodeMsPerToken: Record<string, number>;
  outputTokens: number;
  ttftMs?: number;
  tpotMs?: number;
}

export interface ProblemTask {
  id: string;
  /** Duration on each device that can run it; a device not listed cannot. */
  costMs?: Record<string, number>;
  /** Resident bytes on the device (weights): checked against the device's memoryBytes. */
  memBytes?: number;
  llm?: LlmTask;
}

export interface ProblemEdge {
  from: string;
  to: string;
  bytes?: number;
}

export interface Policy {
  objective: 'latency' | 'cost';
  /** Makespan limit; required for objective 'cost', optional for 'latency'. */
  deadlineMs?: number;
  /** Defaults for LLM tasks that set no target of their own. */
  ttftMs?: number;
  tpotMs?: number;
  /** Devices allowed (others are dropped before planning). */
  allow?: string[];
}

/**
 * Devices that cannot run side by side: they compute on the same resource (a CPU-emulated GPU
 * and the WASM workers on the same cores), so work on one waits for work on the others, as if
 * they were one device. `reason` says how that is known (measured, or assumed).
 */
export interface ProblemShared {
  devices: string[];
  reason?: string;
}

export interface Problem {
  devices: ProblemDevice[];
  links?: ProblemLink[];
  shared?: ProblemShared[];
  tasks: ProblemTask[];
  edges?: ProblemEdge[];
  policy?: Policy;
}
