// Server CPUs. Peak FP32 = cores x base clock x FP32 FLOPs per cycle per core (FMA counted as 2);
// these are derived, so marked as estimates. Prices are per socket-hour of a whole-socket instance.

import { est, fig } from '../figure.js';
import type { DeviceProfile } from '../profile.js';
import { SRC } from './sources.js';

const GB = 1e9;
const US = 1e-6;

interface CpuSpec {
  id: string;
  name: string;
  vendor: string;
  src: string;
  cores: number;
  ghz: number;
  f32PerCycle: number;
  bf16PerCycle?: number;
  bwGBs: number;
  memGB: number;
  price: number;
}

const SPECS: CpuSpec[] = [
  // Zen 4 runs AVX-512 on two 256-bit FMA pipes: 16 FP32 FMAs = 32 FLOPs per cycle
  {
    id: 'EPYC-9654',
    name: 'AMD EPYC 9654 (Genoa, 96 cores)',
    vendor: 'AMD',
    src: SRC.epyc9654,
    cores: 96,
    ghz: 2.4,
    f32PerCycle: 32,
    bwGBs: 460.8,
    memGB: 384,
    price: 5.56,
  },
  // Sapphire Rapids: two 512-bit FMA units = 64 FP32 FLOPs per cycle; AMX BF16 ~1024 FLOPs per cycle
  {
    id: 'Xeon-8480',
    name: 'Intel Xeon Platinum 8480+ (56 cores)',
    vendor: 'Intel',
    src: SRC.xeon8480,
    cores: 56,
    ghz: 2.0,
    f32PerCycle: 64,
    bf16PerCycle: 1024,
    bwGBs: 307.2,
    memGB: 256,
    price: 4.84,
  },
  // Neoverse V2: four 128-bit SVE2 pipes = 16 FP32 FMAs = 32 FLOPs per cycle
  {
    id: 'Graviton4',
    name: 'AWS Graviton4 (96 cores)',
    vendor: 'AWS',
    src: SRC.graviton4,
    cores: 96,
    ghz: 2.8,
    f32PerCycle: 32,
    bwGBs: 537.6,
    memGB: 384,
    price: 3.82,
  },
];

function toProfile(s: CpuSpec): DeviceProfile {
  const f32 = s.cores * s.ghz * 1e9 * s.f32PerCycle;
  const peak: DeviceProfile['peakFlops'] = {
    f32: est(f32, s.src, `${s.cores} cores x ${s.ghz} GHz x ${s.f32PerCycle} FLOP/cycle`),
    f64: est(f32 / 2, s.src, 'half the FP32 rate'),
  };
  if (s.bf16PerCycle) peak.bf16 = peak.f16 = est(s.cores * s.ghz * 1e9 * s.bf16PerCycle, s.src, 'AMX tiles');
  return {
    id: s.id,
    name: s.name,
    kind: 'cpu',
    vendor: s.vendor,
    peakFlops: peak,
    memBandwidth: fig(s.bwGBs * GB, s.src),
    launchOverhead: est(2 * US, SRC.launch),
    memCapacity: est(s.memGB * GB, s.src, 'typical memory of the instance, per socket'),
    link: { bandwidth: est(s.bwGBs * GB, 'host memory: the CPU is the host'), latency: fig(0, 'the CPU is the host') },
    pricePerHour: est(s.price, SRC.awsCpuPrice),
    origin: 'catalog',
  };
}

export const CPUS: DeviceProfile[] = SPECS.map(toProfile);
