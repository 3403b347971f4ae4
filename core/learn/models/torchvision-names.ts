/**
 * Which PyTorch module each of our backbone layers corresponds to, for torchvision's `resnet50` and
 * `mobilenet_v2` (torchvision/models/resnet.py, mobilenetv2.py) and timm's `mobilenetv2_*` (timm's ResNet uses
 * torchvision's names). Our layer names are those of ./resnet50.ts and ./mobilenetv2.ts.
 */
export type ParamKind = 'conv' | 'depthwise' | 'bn' | 'linear';

export interface LayerCorrespondence {
  /** Our tfjs layer. */
  layer: string;
  /** The PyTorch module's state_dict prefix (without the trailing dot). */
  module: string;
  kind: ParamKind;
}

export type NamingScheme = 'torchvision' | 'timm';

/** Our name of the dense layer to the latent size, torchvision's `fc` / `classifier.1`. */
export const LATENT_LAYER = 'latent';

/** ResNet50's stage sizes (blocks per stage), as in ./resnet50.ts. */
const RESNET_BLOCKS = [3, 4, 6, 3];
/** MobileNetV2's inverted-residual repeats per stage, as in ./mobilenetv2.ts. */
const MOBILENET_REPEATS = [1, 2, 3, 4, 3, 3, 1];

function resnet50(): LayerCorrespondence[] {
  const map: LayerCorrespondence[] = [
    { layer: 'conv1_conv', module: 'conv1', kind: 'conv' },
    { layer: 'conv1_bn', module: 'bn1', kind: 'bn' },
  ];
  RESNET_BLOCKS.forEach((blocks, s) => {
    for (let b = 0; b < blocks; b++) {
      const ours = `conv${s + 2}_block${b + 1}`;
      const theirs = `layer${s + 1}.${b}`;
      for (const i of [1, 2, 3]) {
        map.push({ layer: `${ours}_${i}_conv`, module: `${theirs}.conv${i}`, kind: 'conv' });
        map.push({ layer: `${ours}_${i}_bn`, module: `${theirs}.bn${i}`, kind: 'bn' });
      }
      if (b === 0) {
        map.push({ layer: `${ours}_0_conv`, module: `${theirs}.downsample.0`, kind: 'conv' });
        map.push({ layer: `${ours}_0_bn`, module: `${theirs}.downsample.1`, kind: 'bn' });
      }
    }
  });
  map.push({ layer: LATENT_LAYER, module: 'fc', kind: 'linear' });
  return map;
}

function mobilenetv2Torchvision(): LayerCorrespondence[] {
  const map: LayerCorrespondence[] = [
    { layer: 'stem', module: 'features.0.0', kind: 'conv' },
    { layer: 'stem_bn', module: 'features.0.1', kind: 'bn' },
  ];
  const blocks = MOBILENET_REPEATS.reduce((a, b) => a + b, 0);
  for (let j = 0; j < blocks; j++) {
    const f = `features.${j + 1}.conv`;
    // The first block has no expanding convolution, so its modules sit one index lower.
    const parts: Array<[string, string, ParamKind]> =
      j === 0
        ? [
            ['dw', '0.0', 'depthwise'],
            ['dw_bn', '0.1', 'bn'],
            ['project', '1', 'conv'],
            ['project_bn', '2', 'bn'],
          ]
        : [
            ['expand', '0.0', 'conv'],
            ['expand_bn', '0.1', 'bn'],
            ['dw', '1.0', 'depthwise'],
            ['dw_bn', '1.1', 'bn'],
            ['project', '2', 'conv'],
            ['project_bn', '3', 'bn'],
          ];
    for (const [ours, theirs, kind] of parts)
      map.push({ layer: `block${j}_${ours}`, module: `${f}.${theirs}`, kind });
  }
  map.push({ layer: 'head_conv', module: `features.${blocks + 1}.0`, kind: 'conv' });
  map.push({ layer: 'head_conv_bn', module: `features.${blocks + 1}.1`, kind: 'bn' });
  map.push({ layer: LATENT_LAYER, module: 'classifier.1', kind: 'linear' });
  return map;
}

/** timm's efficientnet-style names: stages `blocks.<stage>.<i>`, the first a depthwise-separable block. */
function mobilenetv2Timm(): LayerCorrespondence[] {
  const map: LayerCorrespondence[] = [
    { layer: 'stem', module: 'conv_stem', kind: 'conv' },
    { layer: 'stem_bn', module: 'bn1', kind: 'bn' },
  ];
  let j = 0;
  MOBILENET_REPEATS.forEach((repeats, stage) => {
    for (let i = 0; i < repeats; i++, j++) {
      const b = `blocks.${stage}.${i}`;
      const parts: Array<[string, string, ParamKind]> =
        j === 0
          ? [
              ['dw', 'conv_dw', 'depthwise'],
              ['dw_bn', 'bn1', 'bn'],
              ['project', 'conv_pw', 'conv'],
              ['project_bn', 'bn2', 'bn'],
            ]
          : [
              ['expand', 'conv_pw', 'conv'],
              ['expand_bn', 'bn1', 'bn'],
              ['dw', 'conv_dw', 'depthwise'],
              ['dw_bn', 'bn2', 'bn'],
              ['project', 'conv_pwl', 'conv'],
              ['project_bn', 'bn3', 'bn'],
            ];
      for (const [ours, theirs, kind] of parts)
        map.push({ layer: `block${j}_${ours}`, module: `${b}.${theirs}`, kind });
    }
  });
  map.push({ layer: 'head_conv', module: 'conv_head', kind: 'conv' });
  map.push({ layer: 'head_conv_bn', module: 'bn2', kind: 'bn' });
  map.push({ layer: LATENT_LAYER, module: 'classifier', kind: 'linear' });
  return map;
}

/** Layer correspondences of a backbone under a naming scheme. */
export function correspondences(
  backbone: 'resnet50' | 'mobilenetv2',
  scheme: NamingScheme = 'torchvision',
): LayerCorrespondence[] {
  if (backbone === 'resnet50') return resnet50();
  return scheme === 'timm' ? mobilenetv2Timm() : mobilenetv2Torchvision();
}

/** The naming scheme of a state_dict's keys (timm's MobileNetV2 has `conv_stem`; its ResNet is torchvision's). */
export function namingScheme(keys: Iterable<string>): NamingScheme {
  for (const key of keys) if (key.startsWith('conv_stem.')) return 'timm';
  return 'torchvision';
}

/** PyTorch parameter names of a module of each kind, in the order of our layer's weights. */
export const PARAM_NAMES: Record<ParamKind, readonly string[]> = {
  conv: ['weight'],
  depthwise: ['weight'],
  bn: ['weight', 'bias', 'running_mean', 'running_var'],
  linear: ['weight', 'bias'],
};

/** Axis order taking our layout to PyTorch's: HWIO → OIHW, [h, w, C, 1] → [C, 1, h, w], [in, out] → [out, in]. */
export const TO_TORCH: Record<ParamKind, readonly number[] | null> = {
  conv: [3, 2, 0, 1],
  depthwise: [2, 3, 0, 1],
  bn: null,
  linear: [1, 0],
};

/** Axis order taking PyTorch's layout to ours (the inverse permutations of TO_TORCH). */
export const FROM_TORCH: Record<ParamKind, readonly number[] | null> = {
  conv: [2, 3, 1, 0],
  depthwise: [2, 3, 0, 1],
  bn: null,
  linear: [1, 0],
};
