// Debian's Chromium through playwright-core (no browser download), with the WebGPU flags that
// work headless on a GPU-less machine (shared/webgpu-headless.md): SwiftShader as the adapter.
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium() {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH} (npm run setup installs Debian's chromium; CHROMIUM_PATH picks another)`,
    );
  const spec = 'playwright-core';
  const { chromium } = (await import(spec)) as typeof import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}
