/**
 * Convolution-gradient kernel benchmark: the project's wasm kernels against tfjs's pure-JS cpu backend (and, for
 * Conv2DBackpropInput, against the scalar loop the wasm backend ships), on layer shapes of ResNet50 and
 * MobileNetV2 at a 128² input, batch 16. The forward convolution of each layer on wasm is timed too, as the yardstick
 * a gradient kernel should stay near.
 *
 *   npx tsx test/bench/kernels.ts --json [--batch 16] [--cpu-batch 1] [--no-cpu] [--iters 3] [--only TEXT]
 *     [--winograd [--steps N]]
 *
 * --only keeps the layers whose name contains TEXT. --winograd times only ResNet50's 3×3 stride-1 layers, forward
 * and both gradients, directly (the SIMD GEMMs), by Winograd F(2×2, 3×3) and F(4×4, 3×3), and as the automatic
 * rule picks (`core/learn/kernels/winograd.ts`); with --steps N also N whole ResNet50 training steps (forward,
 * backward, Adam) and 2N inference steps on one thread with Winograd off and automatic, taking turns step by step
 * so that a shared machine's load affects both alike.
 *
 * The cpu backend needs minutes per layer at batch 16, so it runs at --cpu-batch (default 1) and its time is
 * scaled linearly to the benchmark batch (`cpu_ms_scaled`; every one of these kernels is linear in the batch).
 * Prints one JSON object.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  getKernel,
  type KernelConfig,
} from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend } from '../../core/learn/backend/backend.ts';
import { conv2dForward } from '../../core/learn/kernels/conv-forward.ts';
import { wasmKernelConfigs } from '../../core/learn/kernels/registry.ts';
import { setWinogradMode, winogradTile, type WinogradMode } from '../../core/learn/kernels/winograd.ts';
import { createBackbone } from '../../core/learn/models/registry.ts';
import { Adam } from '../../core/learn/patchgd/adam.ts';

type Shape4 = [number, number, number, number];

interface Layer {
  net: string;
  /** [H, W, Cin] of the layer input at a 128² network input. */
  input: [number, number, number];
  filter: [number, number, number, number];
  stride: number;
  depthwise: boolean;
}

const conv = (net: string, hw: number, cin: number, k: number, cout: number, stride: number): Layer => ({
  net,
  input: [hw, hw, cin],
  filter: [k, k, cin, cout],
  stride,
  depthwise: false,
});
const dw = (net: string, hw: number, c: number, stride: number): Layer => ({
  net,
  input: [hw, hw, c],
  filter: [3, 3, c, 1],
  stride,
  depthwise: true,
});

const LAYERS: Layer[] = [
  conv('resnet50 conv1', 128, 3, 7, 64, 2),
  conv('resnet50 layer1 3x3', 32, 64, 3, 64, 1),
  conv('resnet50 layer1 1x1 expand', 32, 64, 1, 256, 1),
  conv('resnet50 layer2 3x3 stride 2', 32, 128, 3, 128, 2),
  conv('resnet50 layer3 3x3', 8, 256, 3, 256, 1),
  conv('64x64x64 3x3 (brief)', 64, 64, 3, 64, 1),
  conv('mobilenetv2 stem', 128, 3, 3, 32, 2),
  conv('mobilenetv2 1x1 expand', 32, 24, 1, 144, 1),
  dw('mobilenetv2 dw 64x64x32', 64, 32, 1),
  dw('mobilenetv2 dw 64x64x96 stride 2', 64, 96, 2),
  dw('mobilenetv2 dw 16x16x384', 16, 384, 1),
  dw('mobilenetv2 dw 4x4x960', 4, 960, 1),
];

/** ResNet50's 3×3 stride-1 layers at a 128² input: [H = W, channels in = out]. */
const WINOGRAD_LAYERS = [
  [31, 64],
  [16, 128],
  [8, 256],
  [4, 512],
] as const;

interface Options {
  batch: number;
  cpuBatch: number;
  cpu: boolean;
  iters: number;
  only: string;
  winograd: boolean;
  steps: number;
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string, fallback: number) => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer`);
    return v;
  };
  return {
    batch: value('--batch', 16),
    cpuBatch: value('--cpu-batch', 1),
    cpu: !argv.includes('--no-cpu'),
    iters: value('--iters', 3),
    only: argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '') : '',
    winograd: argv.includes('--winograd'),
    steps: argv.includes('--steps') ? value('--steps', 1) : 0,
  };
}

/** Median wall time (ms) of `iters` runs, after one warm-up run when `warmUp`. */
function time(iters: number, run: () => tf.Tensor, warmUp = true): number {
  if (warmUp) tf.dispose(run());
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    const out = run();
    out.dataSync();
    times.push(performance.now() - t0);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  return Math.round((times[Math.floor(times.length / 2)] as number) * 10) / 10;
}

interface Case {
  kernel: string;
  inputs: (t: Tensors) => Record<string, tf.Tensor>;
  attrs: (l: Layer, xShape: number[]) => Record<string, unknown>;
}
interface Tensors {
  x: tf.Tensor;
  dy: tf.Tensor;
  filter: tf.Tensor;
}

const pad = 'same';
const CONV_CASES: Case[] = [
  {
    kernel: Conv2DBackpropFilter,
    inputs: ({ x, dy }) => ({ x, dy }),
    attrs: (l) => ({ strides: l.stride, pad, dataFormat: 'NHWC', filterShape: l.filter }),
  },
  {
    kernel: Conv2DBackpropInput,
    inputs: ({ dy, filter }) => ({ dy, filter }),
    attrs: (l, xShape) => ({ strides: l.stride, pad, dataFormat: 'NHWC', inputShape: xShape }),
  },
];
const DW_CASES: Case[] = [
  {
    kernel: DepthwiseConv2dNativeBackpropFilter,
    inputs: ({ x, dy }) => ({ x, dy }),
    attrs: (l) => ({ strides: l.stride, dilations: 1, pad, filterShape: l.filter }),
  },
  {
    kernel: DepthwiseConv2dNativeBackpropInput,
    inputs: ({ dy, filter }) => ({ dy, filter }),
    attrs: (l, xShape) => ({ strides: l.stride, dilations: 1, pad, inputShape: xShape }),
  },
];

function makeTensors(l: Layer, batch: number): Tensors {
  const xShape: [number, number, number, number] = [batch, ...l.input];
  const info = backend_util.computeConv2DInfo(xShape, l.filter, l.stride, 1, pad, undefined, l.depthwise);
  return {
    x: tf.randomNormal(xShape),
    dy: tf.randomNormal(info.outShape),
    filter: tf.randomNormal(l.filter),
  };
}

function runCase(c: Case, l: Layer, t: Tensors): tf.Tensor {
  return tf.engine().runKernel(c.kernel, c.inputs(t), c.attrs(l, t.x.shape) as never) as tf.Tensor;
}

/** Gradient FLOPs equal the forward convolution's: 2 per multiply-add. */
function flops(l: Layer, batch: number): number {
  const info = backend_util.computeConv2DInfo(
    [batch, ...l.input],
    l.filter,
    l.stride,
    1,
    pad,
    undefined,
    l.depthwise,
  );
  const [fh, fw, cin] = l.filter;
  const perOutput = l.depthwise ? fh * fw : fh * fw * cin;
  return 2 * batch * info.outHeight * info.outWidth * info.outChannels * perOutput;
}

/** Forward and gradient ms of ResNet50's 3×3 stride-1 layers under each Winograd mode. */
function winogradRows(opts: Options): Record<string, unknown>[] {
  const modes: WinogradMode[] = ['off', 2, 4, 'auto'];
  const names = ['direct', 'f2', 'f4', 'auto'];
  return WINOGRAD_LAYERS.map(([hw, c]) => {
    const layer = conv(`resnet50 ${hw}x${hw}x${c} 3x3`, hw, c, 3, c, 1);
    const t = makeTensors(layer, opts.batch);
    const info = backend_util.computeConv2DInfo(t.x.shape as Shape4, layer.filter, 1, 1, pad);
    const perMode = (c: Case) =>
      Object.fromEntries(
        modes.map((mode, i) => {
          setWinogradMode(mode);
          return [names[i], time(opts.iters, () => runCase(c, layer, t))];
        }),
      );
    const forwardCase: Case = {
      kernel: 'FusedConv2D',
      inputs: ({ x, filter }) => ({ x, filter }),
      attrs: () => ({ strides: 1, pad, dataFormat: 'NHWC', dilations: 1, activation: 'linear' }),
    };
    const row = {
      layer: layer.net,
      input: [opts.batch, ...layer.input],
      gflop: Math.round((flops(layer, opts.batch) / 1e9) * 1000) / 1000,
      forward_ms: perMode(forwardCase),
      input_grad_ms: perMode(CONV_CASES[1] as Case),
      filter_grad_ms: perMode(CONV_CASES[0] as Case),
      auto: { forward: winogradTile(info, false), input_grad: winogradTile(info, true) },
    };
    tf.dispose([t.x, t.dy, t.filter]);
    return row;
  });
}

/** Patches/s of ResNet50 training and inference steps at 128², Winograd off and automatic taking turns. */
function winogradSteps(opts: Options): Record<string, unknown> {
  const model = createBackbone('resnet50', { patchSize: 128, latentDim: 256, seed: 42 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = new Adam(variables);
  const x = tf.randomNormal([opts.batch, 128, 128, 3]) as tf.Tensor4D;
  const train = () => {
    const loss = () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, variables);
    value.dataSync();
    const ordered = variables.map((v) => grads[v.name]!);
    optimizer.step(ordered, 1e-3);
    tf.dispose([value, ...ordered]);
  };
  const infer = () => {
    const z = tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
    z.dataSync();
    z.dispose();
  };
  const modes: WinogradMode[] = ['off', 'auto'];
  const turns = (step: () => void, rounds: number) => {
    const spent = modes.map((mode) => {
      setWinogradMode(mode);
      step(); // warm-up
      return 0;
    });
    for (let r = 0; r < rounds; r++)
      modes.forEach((mode, i) => {
        setWinogradMode(mode);
        const start = performance.now();
        step();
        spent[i]! += performance.now() - start;
      });
    const perSecond = (ms: number) => Math.round(((opts.batch * rounds) / (ms / 1000)) * 100) / 100;
    return Object.fromEntries(modes.map((mode, i) => [mode, perSecond(spent[i]!)]));
  };
  const result = {
    train_patches_per_s: turns(train, opts.steps),
    infer_patches_per_s: turns(infer, 2 * opts.steps),
  };
  tf.dispose(x);
  optimizer.dispose();
  model.dispose();
  return result;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  // Keep the shipped scalar Conv2DBackpropInput for comparison before our registration replaces it.
  const shipped = getKernel(Conv2DBackpropInput, 'wasm') as KernelConfig;
  const chosen = await selectBackend({ prefer: 'wasm' });
  const status = describeBackend();
  const ours = wasmKernelConfigs.find((k) => k.kernelName === Conv2DBackpropInput) as KernelConfig;
  if (opts.winograd) {
    await tf.setBackend('wasm');
    const layers = winogradRows(opts);
    const steps = opts.steps > 0 ? { resnet50_steps: winogradSteps(opts) } : {};
    console.log(JSON.stringify({ backend: chosen, status, options: opts, winograd: layers, ...steps }));
    return;
  }
  const rows: Record<string, unknown>[] = [];
  for (const l of LAYERS.filter((layer) => layer.net.includes(opts.only))) {
    const cases = l.depthwise ? DW_CASES : CONV_CASES;
    const gflop = flops(l, opts.batch) / 1e9;
    await tf.setBackend('wasm');
    const t = makeTensors(l, opts.batch);
    const forward = time(opts.iters, () =>
      l.depthwise
        ? tf.depthwiseConv2d(t.x as tf.Tensor4D, t.filter as tf.Tensor4D, l.stride, pad)
        : tf.conv2d(t.x as tf.Tensor4D, t.filter as tf.Tensor4D, l.stride, pad),
    );
    // The project's forward GEMMs on every regular layer, whether or not FusedConv2D picks them for it.
    const info = backend_util.computeConv2DInfo(t.x.shape as Shape4, l.filter, l.stride, 1, pad);
    const gemmForward =
      !l.depthwise && l.filter[3] % 8 === 0
        ? time(opts.iters, () => {
            const y = conv2dForward(tf.backend(), t.x, t.filter, info);
            return tf.engine().makeTensorFromTensorInfo(y);
          })
        : null;
    const wasm = cases.map((c) => time(opts.iters, () => runCase(c, l, t)));
    let shippedMs: number | null = null;
    if (!l.depthwise && l.stride === 1) {
      // The shipped loop takes seconds per layer: one timed run, on the stride-1 layers only, bounds the run time.
      tf.unregisterKernel(Conv2DBackpropInput, 'wasm');
      tf.registerKernel(shipped);
      shippedMs = time(1, () => runCase(CONV_CASES[1] as Case, l, t), false);
      tf.unregisterKernel(Conv2DBackpropInput, 'wasm');
      tf.registerKernel(ours);
    }
    tf.dispose([t.x, t.dy, t.filter]);
    let cpu: number[] | null = null;
    if (opts.cpu) {
      await tf.setBackend('cpu');
      const small = makeTensors(l, opts.cpuBatch);
      cpu = cases.map((c) => time(1, () => runCase(c, l, small), false));
      tf.dispose([small.x, small.dy, small.filter]);
    }
    cases.forEach((c, i) => {
      const ms = wasm[i] as number;
      const cpuScaled = cpu ? Math.round(((cpu[i] as number) * opts.batch) / opts.cpuBatch) : null;
      rows.push({
        layer: l.net,
        kernel: c.kernel,
        input: [opts.batch, ...l.input],
        filter: l.filter,
        stride: l.stride,
        gflop: Math.round(gflop * 1000) / 1000,
        wasm_ms: ms,
        wasm_gflops: Math.round((gflop / (ms / 1000)) * 10) / 10,
        wasm_forward_ms: forward,
        ...(gemmForward !== null ? { gemm_forward_ms: gemmForward } : {}),
        ...(c.kernel === Conv2DBackpropInput && shippedMs !== null ? { wasm_shipped_ms: shippedMs } : {}),
        ...(cpu ? { cpu_ms_at_cpu_batch: cpu[i], cpu_ms_scaled: cpuScaled } : {}),
        ...(cpuScaled ? { speedup_vs_cpu: Math.round((cpuScaled / ms) * 10) / 10 } : {}),
      });
    });
  }
  console.log(JSON.stringify({ backend: chosen, status, options: opts, kernels: rows }));
}

await main();
