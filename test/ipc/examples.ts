/**
 * One valid example and several invalid ones for every request and event of the contract. The mapped types
 * make a new channel without examples a compile error, so the tests cover the whole contract.
 */
import type {
  EventInput,
  EventName,
  HandlerReturn,
  RequestInput,
  RequestName,
} from '../../core/shared/contract.ts';

export interface RequestExamples<N extends RequestName> {
  params: RequestInput<N>;
  /** Payloads the params schema must reject. */
  badParams: unknown[];
  result: HandlerReturn<N>;
  /** Results the result schema must reject. */
  badResults: unknown[];
}

const T = '2026-11-29T01:00:00.000Z';
const line = {
  type: 'LineString' as const,
  coordinates: [
    [0, 0],
    [30, 40],
  ] as [number, number][],
};
const polygon = {
  type: 'Polygon' as const,
  coordinates: [
    [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 0],
    ],
  ] as [number, number][][],
};
const annotation = {
  id: 3,
  slideId: 4,
  tool: 'polygon' as const,
  geometry: polygon,
  className: 'Tumour',
  name: '',
  note: '',
  author: 'dr a',
  createdAt: T,
  updatedAt: T,
};

const folder = { id: 1, path: '/data/panda', layout: 'panda' as const, addedAt: T, openedAt: T };
const finding = {
  severity: 'warning' as const,
  code: 'isup-mismatch' as const,
  file: '/data/panda/train.csv',
  line: 3,
  imageId: 'b0a92a74',
  message: 'Gleason 4+3 implies ISUP 3, the row says 2',
};
const prediction = {
  id: 9,
  slideId: 4,
  runId: 2,
  grade: 3,
  probabilities: [0.05, 0.05, 0.1, 0.6, 0.1, 0.1],
  confidence: 0.6,
  attentionPath: '/runs/2/attention/9.json',
  predictedAt: T,
};
const review = {
  slideId: 4,
  reviewer: 'dr a',
  reviewedAt: T,
  grade: 4,
  status: 'overridden' as const,
  note: 'cribriform',
  predictionId: 9,
  primaryPattern: 4,
  secondaryPattern: 3,
  tertiaryPattern: 5,
  pattern4Percent: 60,
  derivedGrade: 3,
};
const run = {
  id: 2,
  folderId: 1,
  runDir: '/runs/2',
  config: { epochs: 10 },
  status: 'done' as const,
  createdAt: T,
  finishedAt: T,
  best: { metric: 'valQwk', value: 0.82, epoch: 7 },
  message: null,
};
const epoch = {
  epoch: 1,
  loss: 1.2,
  trainAccuracy: 0.4,
  valLoss: 1.3,
  valAccuracy: 0.35,
  valQwk: 0.5,
  seconds: 12,
  patchesPerSecond: 800,
  lr: 0.001,
};
const job = {
  jobId: 'job-1',
  kind: 'training' as const,
  runId: 2,
  state: 'failed' as const,
  error: { file: '/data/panda/train_images/x.tiff', problem: 'is not a TIFF file' },
  at: T,
};

export const requestExamples: { [N in RequestName]: RequestExamples<N> } = {
  'folders.recent': {
    params: {},
    badParams: [{ limit: 0 }, { limit: 2.5 }, { limit: '5' }, { extra: true }, null, []],
    result: [folder],
    badResults: [[{ ...folder, layout: 'zip' }], folder, [{ ...folder, id: 0 }]],
  },
  'folders.open': {
    params: { path: '/data/panda' },
    badParams: [{}, { path: '' }, { path: 3 }, { path: '/x', recursive: true }],
    result: {
      folder,
      summary: {
        root: '/data/panda',
        layout: 'panda',
        items: 3,
        usable: 2,
        numClasses: 6,
        classCounts: [1, 0, 1, 0, 0, 0],
        providers: { radboud: 2 },
        errors: 1,
        warnings: 1,
        groups: [{ code: 'isup-mismatch', severity: 'warning', count: 1, examples: [finding] }],
      },
      sync: { added: ['a', 'b'], changed: [], removed: [], unchanged: 1 },
    },
    badResults: [{ folder }, { folder, summary: null, sync: { added: [] } }],
  },
  'slides.list': {
    params: {
      folderId: 1,
      sort: 'predicted',
      direction: 'desc',
      filter: { review: ['unreviewed'] },
      limit: 50,
    },
    badParams: [
      { folderId: 1, sort: 'size' },
      { folderId: 1, limit: 5000 },
      { folderId: 1, offset: -1 },
      { folderId: 1, filter: { labels: [6] } },
      { folderId: 1, filter: { review: ['maybe'] } },
      { folderId: 1, filter: { where: '1=1' } },
      { sort: 'label' },
    ],
    result: {
      total: 1,
      rows: [
        {
          id: 4,
          imageId: 'a1',
          path: '/data/panda/train_images/a1.tiff',
          fileSize: 123456,
          label: 3,
          provider: 'radboud',
          gleason: '4+3',
          thumbnailUrl: 'slide://4/thumbnail',
          prediction: { ...prediction },
          review: { grade: 4, status: 'overridden', reviewer: 'dr a', reviewedAt: T, note: '' },
        },
      ],
    },
    badResults: [
      { total: -1, rows: [] },
      {
        total: 1,
        rows: [
          {
            id: 4,
            imageId: 'a1',
            path: '/p',
            fileSize: null,
            label: null,
            provider: null,
            gleason: null,
            prediction: null,
            review: null,
          },
        ],
      },
    ],
  },
  'slides.info': {
    params: { slideId: 4 },
    badParams: [{ slideId: -4 }, { slideId: '4' }, {}],
    result: {
      slideId: 4,
      imageId: 'a1',
      path: '/data/panda/train_images/a1.tiff',
      width: 20000,
      height: 12000,
      levels: [
        { width: 20000, height: 12000, downsample: 1, tileWidth: 512, tileHeight: 512 },
        { width: 5000, height: 3000, downsample: 4.0005, tileWidth: 512, tileHeight: 512 },
      ],
      mpp: { x: 0.4863, y: 0.4863 },
      compression: 'jpeg',
      fileSize: 31_000_000,
      associated: [],
      tileUrlTemplate: 'slide://4/tiles/{level}/{x}/{y}',
      thumbnailUrl: 'slide://4/thumbnail',
    },
    badResults: [
      { slideId: 4, imageId: 'a1', path: '/p', width: 1, height: 1, levels: [], mpp: null },
      {
        slideId: 4,
        imageId: 'a1',
        path: '/p',
        width: 10,
        height: 10,
        levels: [{ width: 10, height: 10, downsample: 1, tileWidth: 10, tileHeight: 10 }],
        mpp: null,
        compression: 'jpeg',
        fileSize: 1,
        associated: [],
        tileUrlTemplate: 'slide://4/tiles/{z}/{x}/{y}',
        thumbnailUrl: 'slide://4/thumbnail',
      },
    ],
  },
  'dataset.findings': {
    params: { folderId: 1, severity: 'error' },
    badParams: [
      { folderId: 1, severity: 'info' },
      { folderId: 1, limit: 0 },
    ],
    result: { total: 1, findings: [finding] },
    badResults: [{ total: 1, findings: [{ ...finding, code: 'strange' }] }],
  },
  'training.start': {
    params: { folderId: 1, config: { epochs: 5, patchSize: 64 } },
    badParams: [
      { folderId: 1, config: { epochs: 0 } },
      { folderId: 1, config: { learningRate: 0.1 } },
      { folderId: 1, config: { sampling: 2 } },
      { folderId: 1, config: { backbone: 'vgg16' } },
      { folderId: 1 },
    ],
    result: { runId: 3, jobId: 'job-2' },
    badResults: [{ runId: 3 }, { runId: 3, jobId: '' }],
  },
  'training.cancel': {
    params: { runId: 3 },
    badParams: [{ runId: null }, { jobId: 'job-2' }],
    result: { cancelled: true },
    badResults: [{ cancelled: 'yes' }],
  },
  'training.resume': {
    params: { runId: 3, epochs: 20 },
    badParams: [
      { runId: 3, epochs: 0 },
      { runId: 3, epochs: 1.5 },
    ],
    result: { runId: 3, jobId: 'job-3' },
    badResults: [{ jobId: 'job-3' }],
  },
  'runs.list': {
    params: { folderId: 1 },
    badParams: [{ folderId: 'all' }],
    result: [run],
    badResults: [[{ ...run, status: 'paused' }], [{ ...run, config: 'epochs=10' }]],
  },
  'runs.split': {
    params: { runId: 2 },
    badParams: [{}, { runId: -1 }],
    result: { runId: 2, train: ['a', 'b'], heldOut: ['c'] },
    badResults: [{ runId: 2, train: ['a'] }],
  },
  'runs.metrics': {
    params: { runId: 2 },
    badParams: [{}],
    result: { runId: 2, epochs: [epoch] },
    badResults: [
      { runId: 2, epochs: [{ ...epoch, valQwk: 'high' }] },
      { runId: 2, epochs: [{ epoch: 1 }] },
    ],
  },
  'grading.start': {
    params: { folderId: 1, runId: 2, slides: 'all' },
    badParams: [
      { folderId: 1, runId: 2, slides: [] },
      { folderId: 1, runId: 2, slides: 'some' },
      { folderId: 1, runId: 2, slides: [4], checkpoint: 'first' },
    ],
    result: { jobId: 'job-4', total: 120 },
    badResults: [{ jobId: 'job-4', total: -1 }],
  },
  'grading.cancel': {
    params: { jobId: 'job-4' },
    badParams: [{ jobId: '' }],
    result: { cancelled: false },
    badResults: [{}],
  },
  'predictions.get': {
    params: { slideId: 4, runId: 2 },
    badParams: [{ slideId: 4, runId: 0 }],
    result: prediction,
    badResults: [
      { ...prediction, grade: 6 },
      { ...prediction, probabilities: [1.5] },
      { ...prediction, probabilities: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4] },
    ],
  },
  'attention.get': {
    params: { predictionId: 9 },
    badParams: [{ predictionId: 9.5 }],
    result: {
      predictionId: 9,
      origin: { x: 0, y: 0 },
      dx: 2048,
      dy: 2048,
      gridWidth: 3,
      gridHeight: 2,
      values: [0, 0.5, 1, null, 0.25, null],
    },
    badResults: [
      {
        predictionId: 9,
        origin: { x: 0, y: 0 },
        dx: 16,
        dy: 16,
        gridWidth: 2,
        gridHeight: 2,
        values: [0, 1, 0],
      },
      { predictionId: 9, origin: { x: 0, y: 0 }, dx: 16, dy: 16, gridWidth: 1, gridHeight: 1, values: [1.2] },
      { predictionId: 9, origin: { x: 0, y: 0 }, dx: 0, dy: 16, gridWidth: 1, gridHeight: 1, values: [1] },
    ],
  },
  'reviews.save': {
    params: { slideId: 4, reviewer: 'dr a', status: 'overridden', grade: 4, note: 'cribriform' },
    badParams: [
      { slideId: 4, reviewer: 'dr a', status: 'overridden' },
      { slideId: 4, reviewer: '   ', status: 'agreed' },
      { slideId: 4, reviewer: 'dr a', status: 'unsure' },
      { slideId: 4, reviewer: 'dr a', status: 'agreed', grade: 9 },
      { slideId: 4, reviewer: 'dr a', status: 'overridden', grade: 7 },
      { slideId: 4, reviewer: 'dr a', status: 'graded', grade: 2, primaryPattern: 2 },
      { slideId: 4, reviewer: 'dr a', status: 'ungradable', pattern4Percent: 101 },
    ],
    result: { ...review, id: 17, oldGrade: 3 },
    badResults: [
      review,
      { ...review, id: 17, oldGrade: 3, status: 'pending' },
      { ...review, id: 17, oldGrade: 3, tertiaryPattern: 6 },
    ],
  },
  'reviews.get': {
    params: { slideId: 4 },
    badParams: [{ slideId: 4, reviewer: 'dr a' }],
    result: review,
    badResults: [{ ...review, reviewer: '' }],
  },
  'reviews.history': {
    params: { slideId: 4 },
    badParams: [{ slide: 4 }],
    result: [{ ...review, id: 17, oldGrade: null }],
    badResults: [[{ ...review, id: 17 }]],
  },
  'reviews.saveDraft': {
    params: { slideId: 4, note: 'perineural invasion?' },
    badParams: [{ slideId: 4 }, { slideId: 4, note: 'x'.repeat(10_001) }],
    result: { slideId: 4, note: 'perineural invasion?', savedAt: T },
    badResults: [{ slideId: 4, note: 'x' }],
  },
  'reviews.draft': {
    params: { slideId: 4 },
    badParams: [{ slideId: 0 }],
    result: null,
    badResults: [{ slideId: 4 }],
  },
  'reviews.exportCsv': {
    params: { folderId: 1, path: '/home/a/reviews.csv' },
    badParams: [{ folderId: 1 }, { folderId: 1, path: '' }],
    result: { path: '/home/a/reviews.csv', rows: 12 },
    badResults: [{ path: '/home/a/reviews.csv' }],
  },
  'annotations.list': {
    params: { slideId: 4 },
    badParams: [{}, { slideId: 'a' }],
    result: { annotations: [annotation], classes: [{ name: 'Tumour', color: '#c83232' }] },
    badResults: [{ annotations: [{ ...annotation, geometry: { type: 'Circle' } }], classes: [] }],
  },
  'annotations.create': {
    params: { slideId: 4, author: 'dr a', annotation: { tool: 'ruler', geometry: line, className: null } },
    badParams: [
      { slideId: 4, author: '', annotation: { tool: 'ruler', geometry: line, className: null } },
      { slideId: 4, author: 'dr a', annotation: { tool: 'lasso', geometry: line, className: null } },
      {
        slideId: 4,
        author: 'dr a',
        annotation: {
          tool: 'ruler',
          geometry: { type: 'LineString', coordinates: [[0, 0]] },
          className: null,
        },
      },
    ],
    result: annotation,
    badResults: [{ ...annotation, id: 0 }],
  },
  'annotations.update': {
    params: { id: 3, author: 'dr a', patch: { className: 'Gleason 4' } },
    badParams: [{ id: 3, author: 'dr a', patch: { tool: 'point' } }],
    result: annotation,
    badResults: [null],
  },
  'annotations.delete': {
    params: { id: 3, author: 'dr a' },
    badParams: [{ id: 3 }],
    result: annotation,
    badResults: [{}],
  },
  'annotations.restore': {
    params: { id: 3, author: 'dr a' },
    badParams: [{ id: -3, author: 'dr a' }],
    result: annotation,
    badResults: [{ ...annotation, tool: 'lasso' }],
  },
  'annotations.history': {
    params: { id: 3 },
    badParams: [{ id: 3, all: true }],
    result: [
      { id: 1, annotationId: 3, author: 'dr a', at: T, action: 'create', before: null, after: annotation },
    ],
    badResults: [
      [{ id: 1, annotationId: 3, author: 'dr a', at: T, action: 'move', before: null, after: annotation }],
    ],
  },
  'annotations.setClasses': {
    params: { folderId: 1, classes: [{ name: 'Tumour', color: '#c83232' }] },
    badParams: [
      { folderId: 1, classes: [] },
      { folderId: 1, classes: [{ name: 'Tumour', color: 'red' }] },
    ],
    result: [{ name: 'Tumour', color: '#c83232' }],
    badResults: [[{ name: '', color: '#c83232' }]],
  },
  'annotations.exportGeojson': {
    params: { slideId: 4 },
    badParams: [{ slideId: 4, path: '/a' }],
    result: {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', id: 'x', geometry: polygon, properties: { objectType: 'annotation' } }],
    },
    badResults: [{ type: 'Feature' }],
  },
  'annotations.importGeojson': {
    params: { slideId: 4, author: 'dr a', fileName: 'a.geojson', text: '{}' },
    badParams: [{ slideId: 4, author: 'dr a', text: '{}' }],
    result: { imported: 2, skipped: 0 },
    badResults: [{ imported: -1, skipped: 0 }],
  },
  'annotations.exportFolder': {
    params: { folderId: 1, path: '/home/a/geojson' },
    badParams: [{ folderId: 1 }, { folderId: 1, path: '' }],
    result: { path: '/home/a/geojson', files: 3, annotations: 12 },
    badResults: [{ path: '/home/a/geojson', files: 3 }],
  },
  'annotations.importFolder': {
    params: { folderId: 1, path: '/home/a/geojson', author: 'dr a' },
    badParams: [{ folderId: 1, path: '/home/a/geojson' }],
    result: { path: '/home/a/geojson', files: 3, annotations: 12 },
    badResults: [{ path: '', files: 3, annotations: 12 }],
  },
  'annotations.importMask': {
    params: { slideId: 4, author: 'dr a' },
    badParams: [{ slideId: 4 }],
    result: { imported: 5 },
    badResults: [{}],
  },
  'masks.get': {
    params: { slideId: 4 },
    badParams: [{ slideId: 4, level: 2 }],
    result: { provider: 'radboud', width: 2, height: 1, scaleX: 16, scaleY: 16, labels: 'AAM=' },
    badResults: [{ provider: 'other', width: 2, height: 1, scaleX: 16, scaleY: 16, labels: 'AAM=' }],
  },
  'app.status': {
    params: {},
    badParams: [{ verbose: true }, 'status'],
    result: {
      backend: {
        name: 'wasm',
        reason: 'WebAssembly with SIMD',
        skipped: [
          { name: 'tensorflow-gpu', reason: 'no CUDA device' },
          {
            name: 'webgpu',
            reason: 'only a software adapter: google swiftshader (SwiftShader driver 5.0.0)',
          },
          { name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' },
        ],
        adapter: null,
        wasm: {
          simd: true,
          threads: false,
          kernels: ['Conv2D'],
          multiplyAdd: 'fused',
          relaxedSimd: 'enabled by flag',
        },
      },
      memory: {
        rss: 3e8,
        heapUsed: 1e8,
        heapTotal: 2e8,
        tensorBytes: 5e7,
        tensors: 120,
        systemTotal: 1.6e10,
        systemFree: 8e9,
      },
      versions: { app: '0.1.0', node: '20.20.2', electron: null, tfjs: '4.22.0', sqlite: '3.51.2' },
      jobs: [job],
    },
    badResults: [
      {
        backend: { name: 'webgpu', reason: '', skipped: [], wasm: null },
        memory: {
          rss: 1,
          heapUsed: 1,
          heapTotal: 1,
          tensorBytes: 0,
          tensors: 0,
          systemTotal: 1,
          systemFree: 1,
        },
        versions: { app: '0.1.0', node: '20', electron: null, tfjs: '4', sqlite: '3' },
        jobs: [],
      },
    ],
  },
};

export interface EventExamples<N extends EventName> {
  valid: EventInput<N>[];
  invalid: unknown[];
}

export const eventExamples: { [N in EventName]: EventExamples<N> } = {
  'training.progress': {
    valid: [
      {
        jobId: 'job-1',
        runId: 2,
        event: {
          type: 'plan',
          method: 'patchgd',
          patchesPerIteration: 32,
          innerIterations: 8,
          inputSize: 64,
          peakBytes: 1e9,
          budgetBytes: 4e9,
          message: null,
          backend: 'wasm',
          threads: 2,
        },
      },
      {
        jobId: 'job-1',
        runId: 2,
        event: {
          type: 'step',
          epoch: 1,
          epochs: 10,
          batch: 3,
          batches: 100,
          loss: 1.7,
          lr: 5e-4,
          patchesPerSecond: 900,
          peakBytes: 1e9,
          patchWait: 0.04,
          eta: 3600,
        },
      },
      {
        jobId: 'job-1',
        runId: 2,
        event: { type: 'epoch-end', epoch: 1, epochs: 10, metrics: epoch, eta: 3000 },
      },
      {
        jobId: 'job-1',
        runId: 2,
        event: { type: 'checkpoint', epoch: 1, name: 'best', path: '/runs/2/best' },
      },
      {
        jobId: 'job-1',
        runId: 2,
        event: {
          type: 'done',
          epochs: 10,
          cancelled: false,
          best: { metric: 'valQwk', value: 0.8, epoch: 9 },
        },
      },
    ],
    invalid: [
      { jobId: 'job-1', runId: 2, event: { type: 'started' } },
      { jobId: 'job-1', runId: 2, event: { type: 'checkpoint', epoch: 1, name: 'middle', path: '/x' } },
      { jobId: 'job-1', event: { type: 'epoch-start', epoch: 1, epochs: 2, batches: 3 } },
    ],
  },
  'grading.progress': {
    valid: [
      {
        jobId: 'job-4',
        runId: 2,
        done: 1,
        total: 3,
        slide: { slideId: 4, imageId: 'a1', prediction: { id: 9, grade: 3, confidence: 0.6 }, error: null },
      },
      {
        jobId: 'job-4',
        runId: 2,
        done: 2,
        total: 3,
        slide: {
          slideId: 5,
          imageId: 'a2',
          prediction: null,
          error: { file: '/a2.tiff', problem: 'truncated' },
        },
      },
      { jobId: 'job-4', runId: 2, done: 0, total: 3, slide: null },
    ],
    invalid: [
      { jobId: 'job-4', runId: 2, done: -1, total: 3, slide: null },
      {
        jobId: 'job-4',
        runId: 2,
        done: 1,
        total: 3,
        slide: { slideId: 4, imageId: 'a1', prediction: { grade: 8 } },
      },
    ],
  },
  'job.state': {
    valid: [job, { ...job, state: 'running', error: null }],
    invalid: [
      { ...job, state: 'paused' },
      { ...job, kind: 'export' },
      { ...job, error: 'boom' },
    ],
  },
};
