// Datacenter accelerators. FLOP/s are dense (no 2:4 sparsity); f16 means the FP16/BF16 tensor
// (matrix) rate, f32 the non-tensor FP32 rate. Prices are per device-hour, on demand.

import { est, fig } from '../figure.js';
import type { DeviceProfile } from '../profile.js';
import { SRC } from './sources.js';

const T = 1e12;
const GB = 1e9;
const GiB = 2 ** 30;
const US = 1e-6;

interface Spec {
  id: string;
  name: string;
  vendor: string;
  src: string;
  f16: number;
  f32: number;
  i8?: number;
  f64?: number;
  memGB: number;
  bwGBs: number;
  link: 'pcie4' | 'pcie5';
  price: number;
  priceSrc: string;
  priceEstimate?: boolean;
  specEstimate?: boolean;
  note?: string;
}

const SPECS: Spec[] = [
  {
    id: 'A10G',
    name: 'NVIDIA A10G 24GB',
    vendor: 'NVIDIA',
    src: SRC.a10,
    f16: 125,
    f32: 31.2,
    i8: 250,
    memGB: 24,
    bwGBs: 600,
    link: 'pcie4',
    price: 1.006,
    priceSrc: SRC.awsG5,
    specEstimate: true,
    note: 'A10 datasheet figures; the A10G may clock lower',
  },
  {
    id: 'L4',
    name: 'NVIDIA L4 24GB',
    vendor: 'NVIDIA',
    src: SRC.l4,
    f16: 121,
    f32: 30.3,
    i8: 242,
    memGB: 24,
    bwGBs: 300,
    link: 'pcie4',
    price: 0.78,
    priceSrc: SRC.runpod,
  },
  {
    id: 'A100-40GB',
    name: 'NVIDIA A100 SXM4 40GB',
    vendor: 'NVIDIA',
    src: SRC.a100,
    f16: 312,
    f32: 19.5,
    i8: 624,
    f64: 19.5,
    memGB: 40,
    bwGBs: 1555,
    link: 'pcie4',
    price: 3.67,
    priceSrc: SRC.gcpA2,
  },
  {
    id: 'A100-80GB',
    name: 'NVIDIA A100 SXM4 80GB',
    vendor: 'NVIDIA',
    src: SRC.a100,
    f16: 312,
    f32: 19.5,
    i8: 624,
    f64: 19.5,
    memGB: 80,
    bwGBs: 2039,
    link: 'pcie4',
    price: 2.45,
    priceSrc: SRC.runpod,
  },
  {
    id: 'H100',
    name: 'NVIDIA H100 SXM5 80GB',
    vendor: 'NVIDIA',
    src: SRC.h100,
    f16: 989.4,
    f32: 66.9,
    i8: 1978.9,
    f64: 66.9,
    memGB: 80,
    bwGBs: 3350,
    link: 'pcie5',
    price: 4.76,
    priceSrc: SRC.runpod,
  },
  {
    id: 'H200',
    name: 'NVIDIA H200 SXM 141GB',
    vendor: 'NVIDIA',
    src: SRC.h200,
    f16: 989.4,
    f32: 66.9,
    i8: 1978.9,
    f64: 66.9,
    memGB: 141,
    bwGBs: 4800,
    link: 'pcie5',
    price: 6.35,
    priceSrc: SRC.runpod,
  },
  {
    id: 'B200',
    name: 'NVIDIA B200 180GB',
    vendor: 'NVIDIA',
    src: SRC.b200,
    f16: 2250,
    f32: 75,
    i8: 4500,
    f64: 37,
    memGB: 180,
    bwGBs: 8000,
    link: 'pcie5',
    price: 10.57,
    priceSrc: SRC.runpod,
    note: 'f32/f64 vector rates estimated from the HGX B200 8-GPU totals',
  },
  {
    id: 'MI300X',
    name: 'AMD Instinct MI300X 192GB',
    vendor: 'AMD',
    src: SRC.mi300x,
    f16: 1307.4,
    f32: 163.4,
    i8: 2614.9,
    f64: 81.7,
    memGB: 192,
    bwGBs: 5300,
    link: 'pcie5',
    price: 1.85,
    priceSrc: SRC.vultrMi300x,
    note: 'price from a smaller cloud, not a hyperscaler',
  },
  {
    id: 'Gaudi3',
    name: 'Intel Gaudi 3 128GB',
    vendor: 'Intel',
    src: SRC.gaudi3,
    f16: 1835,
    f32: 28.7,
    i8: 1835,
    memGB: 128,
    bwGBs: 3700,
    link: 'pcie5',
    price: 2.43,
    priceSrc: SRC.gaudiPrice,
    priceEstimate: true,
    note: 'f32 is the BF16 vector rate (no FP32 matrix path)',
  },
];

function toProfile(s: Spec): DeviceProfile {
  const spec = (v: number) => (s.specEstimate ? est(v, s.src, s.note) : fig(v, s.src));
  const peak: DeviceProfile['peakFlops'] = { f16: spec(s.f16 * T), bf16: spec(s.f16 * T), f32: spec(s.f32 * T) };
  if (s.i8) peak.i8 = spec(s.i8 * T);
  if (s.f64) peak.f64 = spec(s.f64 * T);
  const linkBw = s.link === 'pcie5' ? 64 * GB : 32 * GB;
  return {
    id: s.id,
    name: s.name,
    kind: 'accelerator',
    vendor: s.vendor,
    peakFlops: peak,
    memBandwidth: spec(s.bwGBs * GB),
    launchOverhead: est(5 * US, SRC.launch),
    memCapacity: spec(s.memGB * GB),
    maxBindingBytes: est(s.memGB * GB, 'no per-binding limit published; whole memory assumed'),
    link: {
      bandwidth: fig(linkBw, s.link === 'pcie5' ? SRC.pcie5 : SRC.pcie4),
      latency: est(10 * US, 'estimate: PCIe round trip ~10 us'),
    },
    pricePerHour: s.priceEstimate ? est(s.price, s.priceSrc) : fig(s.price, s.priceSrc),
    origin: 'catalog',
    notes: s.note ? [s.note] : undefined,
  };
}

export const GPUS: DeviceProfile[] = SPECS.map(toProfile);
export { GiB };
