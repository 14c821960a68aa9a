// Where catalog figures come from. Spec sources are vendor datasheets (read through the pages
// named here when the datasheet itself was not at hand); prices are on-demand list prices from
// one snapshot, so ratios between parts are comparable. Prices move: re-check before relying on them.

export const SRC = {
  a10:
    'NVIDIA A10 datasheet, nvidia.com/en-us/data-center/products/a10-gpu (A10G is the AWS variant; AWS ' +
    'publishes no separate tensor figures)',
  l4: 'NVIDIA L4 datasheet, nvidia.com/en-us/data-center/l4',
  a100:
    'NVIDIA A100 datasheet nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf (via ' +
    'glennklockwood.com/garden/processors/A100)',
  h100:
    'NVIDIA H100 datasheet, SXM5 column (via glennklockwood.com/garden/processors/h100 and hpctech.co.jp ' +
    'H100 table)',
  h200:
    'NVIDIA H200 product page nvidia.com/en-us/data-center/h200 (same GH100 compute as H100 SXM; via ' +
    'deploybase.ai/articles/b200-vs-h200-vs-h100)',
  b200:
    'NVIDIA HGX B200 spec table nvidia.com/en-us/data-center/hgx (per GPU: 4.5 PF FP16 sparse = 2.25 PF ' +
    'dense, 180 GB HBM3e as in DGX B200, 8 TB/s)',
  mi300x:
    'AMD Instinct MI300X product page amd.com/en/products/accelerators/instinct/mi300/mi300x.html (1307.4 ' +
    'TF FP16 dense, 192 GB HBM3, 5.3 TB/s)',
  gaudi3:
    'Intel Gaudi 3 AI accelerator white paper (1835 TF BF16/FP8 matrix, 128 GB HBM2e, 3.7 TB/s; via ' +
    'awesomeagents.ai/hardware/intel-gaudi-3)',
  splitwise:
    'Patel et al., Splitwise (ISCA 2024, arXiv 2311.18677), Table: DGX-H100 vs DGX-A100 = 3.43x compute, ' +
    '1.64x HBM bandwidth, 2.16x cost',
  runpod: 'RunPod on-demand prices, March 2026 (deploybase.ai/articles/runpod-gpu-pricing)',
  awsG5: 'AWS EC2 on-demand, g5.xlarge (1x A10G) us-east-1 $1.006/h (factualminds.com EC2 on-demand pricing 2026)',
  gcpA2: 'Google Cloud a2-highgpu-1g (1x A100 40GB) $3.67/h (khaderz.com GPU cost modeling table)',
  vultrMi300x: 'Vultr on-demand MI300X $1.85/GPU-h (gpu.blog/gpus/instinct-mi300x-mi300x)',
  gaudiPrice:
    'estimate: Intel list price of an 8x Gaudi 3 kit ($125k, $15.6k/chip; nextplatform.com 2024-06-13) vs ' +
    'H100 ~$30.7k, times the RunPod H100 SXM rate',
  pcie4: 'PCIe 4.0 x16: 32 GB/s per direction (PCI-SIG)',
  pcie5: 'PCIe 5.0 x16: 64 GB/s per direction (PCI-SIG)',
  epyc9654: 'AMD EPYC 9654 product page amd.com (96 cores, 2.4 GHz base, 12ch DDR5-4800 = 460.8 GB/s)',
  xeon8480: 'Intel Xeon Platinum 8480+ ark.intel.com (56 cores, 2.0 GHz base, 8ch DDR5-4800 = 307.2 GB/s, AMX)',
  graviton4: 'AWS Graviton4 (96 Neoverse V2 cores, 2.8 GHz, 12ch DDR5-5600 = 537.6 GB/s), aws.amazon.com/ec2/graviton',
  awsCpuPrice:
    'estimate: AWS on-demand price of the whole-socket instance (m7a.24xlarge / m7i.24xlarge / ' +
    'c8g.24xlarge class), us-east-1, per socket',
  launch: 'estimate: typical CUDA kernel launch overhead ~5 us; CPU thread-pool dispatch ~2 us',
} as const;
