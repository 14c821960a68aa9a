// The devices: what the browser offers (probes) and what the engine made of it (discovered devices
// with their profiles, and why a device is missing).

import type { DeviceEntry } from '../../src/runtime/devices.js';
import { deviceColor } from './colors.js';
import { bytes, dollars, flops, h, ms } from './dom.js';
import type { GpuProbe, RemoteProbe, WasmProbe } from './probe.js';

const yes = (b: boolean, label: string, title?: string) =>
  h('span', { class: b ? 'badge ok' : 'badge no', title }, `${b ? '✓' : '✕'} ${label}`);

function kv(rows: [string, string | Node][]): HTMLElement {
  return h(
    'dl',
    { class: 'kv' },
    rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

export function gpuBody(p: GpuProbe | undefined): HTMLElement {
  if (!p) return h('div', { class: 'muted' }, 'probing…');
  if (!p.ok) return h('div', { class: 'why' }, p.reason ?? 'not available');
  const info = p.info ?? {};
  const name = [info.vendor, info.architecture, info.device].filter(Boolean).join(' · ') || 'adapter';
  const L = p.limits ?? {};
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'dev-name' },
      name,
      p.fallbackAdapter ? h('span', { class: 'badge warn' }, 'fallback adapter') : null,
    ),
    info.description ? h('div', { class: 'muted small' }, info.description) : null,
    kv([
      ['max buffer', bytes(L.maxBufferSize ?? 0)],
      ['storage binding', bytes(L.maxStorageBufferBindingSize ?? 0)],
      ['storage / stage', String(L.maxStorageBuffersPerShaderStage ?? '–')],
      ['workgroup memory', bytes(L.maxComputeWorkgroupStorageSize ?? 0)],
      ['invocations / WG', String(L.maxComputeInvocationsPerWorkgroup ?? '–')],
    ]),
    h(
      'details',
      { class: 'small' },
      h('summary', {}, `${p.features?.length ?? 0} features`),
      h(
        'div',
        { class: 'features' },
        (p.features ?? []).map((f) => h('code', {}, f)),
      ),
    ),
  );
}

export function wasmBody(p: WasmProbe): HTMLElement {
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'badges' },
      yes(p.simd, 'SIMD'),
      yes(p.isolated, 'cross-origin isolated', 'COOP/COEP headers: needed for SharedArrayBuffer'),
      yes(p.sharedMemory, 'SharedArrayBuffer'),
    ),
    kv([
      ['cores', String(p.cores)],
      ['threads usable', String(p.threads)],
    ]),
    p.note ? h('div', { class: 'why' }, p.note) : null,
  );
}

export function remoteBody(p: RemoteProbe | undefined, enabled = true): HTMLElement {
  if (!p) return h('div', { class: 'muted' }, 'no server configured');
  if (!p.ok && !p.health) return h('div', { class: enabled ? 'why' : 'muted small' }, p.reason ?? 'unreachable');
  const info = (p.info ?? {}) as Record<string, unknown>;
  const devs = Array.isArray(info.devices) ? (info.devices as Record<string, unknown>[]) : [];
  const profile = (info.profile ?? devs[0]?.profile ?? devs[0]) as Record<string, unknown> | undefined;
  const rows: [string, string][] = [['round trip', ms(p.latencyMs)]];
  if (typeof info.version === 'string' || typeof info.protocol === 'string')
    rows.push(['protocol', String(info.protocol ?? info.version)]);
  if (profile?.name) rows.push(['device', String(profile.name)]);
  const price = (profile?.pricePerHour as { value?: number } | undefined)?.value;
  if (price !== undefined) rows.push(['price', `${dollars(price)}/h`]);
  const f32 = (profile?.peakFlops as Record<string, { value: number }> | undefined)?.f32?.value;
  if (f32) rows.push(['peak f32', flops(f32)]);
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'badges' },
      yes(true, 'healthy'),
      p.reason ? h('span', { class: 'badge warn' }, p.reason) : yes(true, 'authorised'),
    ),
    kv(rows),
    p.info
      ? h(
          'details',
          { class: 'small' },
          h('summary', {}, 'server info'),
          h('pre', {}, JSON.stringify(p.info, null, 2).slice(0, 4000)),
        )
      : null,
  );
}

/** The engine's devices after discovery: profiles the planner uses. */
export function engineDevices(entries: DeviceEntry[], notes: string[]): HTMLElement {
  return h(
    'div',
    { class: 'engine-devices' },
    h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['device', 'profile', 'peak f32', 'memory BW', 'link', 'price', 'from'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        entries.map((e) => {
          const p = e.profile;
          return h(
            'tr',
            { 'data-device': e.device.id },
            h(
              'td',
              {},
              h('i', { class: 'dot', style: `background:${deviceColor(e.device.id, e.device.kind)}` }),
              e.device.id,
            ),
            h('td', {}, p.name),
            h('td', { class: 'num' }, p.peakFlops.f32 ? flops(p.peakFlops.f32.value) : '–'),
            h('td', { class: 'num' }, `${(p.memBandwidth.value / 1e9).toFixed(1)} GB/s`),
            h(
              'td',
              { class: 'num' },
              Number.isFinite(p.link.bandwidth.value)
                ? `${(p.link.bandwidth.value / 1e9).toFixed(1)} GB/s, ${(p.link.latency.value * 1e3).toFixed(2)} ms`
                : 'host',
            ),
            h('td', { class: 'num' }, `${dollars(p.pricePerHour.value)}/h`),
            h(
              'td',
              {},
              h(
                'span',
                {
                  class: `badge ${p.origin === 'default' ? 'warn' : 'ok'}`,
                  title: p.origin === 'default' ? 'a guess until this device is calibrated' : '',
                },
                p.origin,
              ),
            ),
          );
        }),
      ),
    ),
    notes.length
      ? h(
          'ul',
          { class: 'notes' },
          notes.map((n) => h('li', {}, n)),
        )
      : null,
  );
}
