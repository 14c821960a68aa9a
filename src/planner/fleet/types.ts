// Fleet sizing (Mélange's formulation): GPU types with prices and optional availability, request
// classes with a rate and the rate one GPU of each type sustains within the SLA. Field names
// are a contract: add fields, never rename.

export interface FleetGpuType {
  id: string;
  pricePerHour: number;
  available?: number;
}

export interface FleetClass {
  id: string;
  ratePerS: number;
  /** Requests/s one GPU of the type sustains within the SLA; a type missing here cannot serve the class. */
  perGpuRatePerS: Record<string, number>;
}

export interface FleetProblem {
  gpuTypes: FleetGpuType[];
  classes: FleetClass[];
}

export interface FleetSplit {
  class: string;
  gpu: string;
  ratePerS: number;
}

export interface FleetPlan {
  feasible: boolean;
  costPerHour: number;
  counts: Record<string, number>;
  split: FleetSplit[];
  reason?: string;
  /** Load of each type used: sum of rate / per-GPU rate over its classes, divided by its count. */
  utilization?: Record<string, number>;
  solver?: string;
}
