/**
 * Type-level checks (enforced by `tsc --noEmit`, which covers test/): handler signatures, dispatch results and
 * the shared model types all come from the contract.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { DatasetSummary, Finding, FindingCode } from '../../core/io/dataset/index.ts';
import type { EpochMetrics, TrainConfig, TrainEvent } from '../../core/learn/runner/index.ts';
import type { SlideInfo } from '../../core/io/slide/types.ts';
import type {
  datasetSummarySchema,
  epochMetricsSchema,
  EventPayload,
  IpcError,
  findingCodeSchema,
  findingSchema,
  HandlerReturn,
  IpcOutcome,
  RequestInput,
  RequestParams,
  RequestResult,
  runStatusSchema,
  slideInfoSchema,
  trainEventSchema,
} from '../../core/shared/contract.ts';
import {
  createHandlerTable,
  dispatch,
  parseEvent,
  parseRequest,
  type Handler,
} from '../../core/shared/validate.ts';
import type {
  Folder,
  Prediction,
  Review,
  ReviewEvent,
  ReviewInput,
  Run,
  RunStatus,
  SlideListRow,
  SyncReport,
} from '../../core/io/store/index.ts';

describe('contract types', () => {
  it('gives handlers parsed params with defaults filled in', () => {
    expectTypeOf<Handler<'slides.list', { user: string }>>().parameters.toEqualTypeOf<
      [RequestParams<'slides.list'>, { user: string }]
    >();
    expectTypeOf<RequestParams<'slides.list'>['limit']>().toEqualTypeOf<number>();
    expectTypeOf<RequestInput<'slides.list'>['limit']>().toEqualTypeOf<number | undefined>();
    // Every request the contract lets through is one the store accepts.
    expectTypeOf<RequestParams<'reviews.save'>>().toMatchTypeOf<ReviewInput>();
    expectTypeOf<RequestParams<'reviews.save'>['status']>().toEqualTypeOf<
      'agreed' | 'overridden' | 'graded' | 'ungradable'
    >();
  });

  it('infers each handler of a table from the contract', () => {
    type Table = Parameters<typeof createHandlerTable<void>>[0];
    expectTypeOf<Table['reviews.get']>().parameter(0).toEqualTypeOf<{ slideId: number }>();
    expectTypeOf<ReturnType<Table['reviews.history']>>().toEqualTypeOf<
      HandlerReturn<'reviews.history'> | Promise<HandlerReturn<'reviews.history'>>
    >();
    // A handler with the wrong params or result does not fit the table.
    expectTypeOf<(p: { folderId: string }) => []>().not.toExtend<Table['runs.list']>();
    expectTypeOf<() => { cancelled: 'yes' }>().not.toExtend<Table['training.cancel']>();
    expectTypeOf<() => { cancelled: boolean }>().toExtend<Table['training.cancel']>();
  });

  it('types what dispatch and the parsers answer', () => {
    type Table = Parameters<typeof dispatch<void, 'predictions.get'>>[0];
    expectTypeOf<ReturnType<typeof dispatch<void, 'predictions.get'>>>().toEqualTypeOf<
      Promise<IpcOutcome<RequestResult<'predictions.get'>>>
    >();
    expectTypeOf<Parameters<typeof dispatch<void, 'predictions.get'>>[2]>().toEqualTypeOf<{
      slideId: number;
      runId?: number | undefined;
    }>();
    expectTypeOf<Table>().toHaveProperty('app.status');
    expectTypeOf(parseRequest('grading.start', {})).toEqualTypeOf<
      IpcOutcome<RequestParams<'grading.start'>>
    >();
    expectTypeOf(parseRequest('not a channel', {})).toEqualTypeOf<IpcOutcome<unknown>>();
    expectTypeOf(parseEvent('job.state', {})).toEqualTypeOf<IpcOutcome<EventPayload<'job.state'>>>();
    expectTypeOf<EventPayload<'job.state'>['state']>().toEqualTypeOf<
      'queued' | 'running' | 'done' | 'failed' | 'cancelled'
    >();
    expectTypeOf<IpcError['code']>().toEqualTypeOf<
      | 'unknown-channel'
      | 'invalid-request'
      | 'invalid-event'
      | 'invalid-result'
      | 'handler-failed'
      | 'internal-error'
    >();
  });

  it("carries the engine's configuration, events and metrics unchanged", () => {
    expectTypeOf<RequestParams<'training.start'>['config']>().toEqualTypeOf<TrainConfig>();
    expectTypeOf<TrainEvent>().toExtend<z.input<typeof trainEventSchema>>();
    expectTypeOf<EpochMetrics>().toExtend<z.input<typeof epochMetricsSchema>>();
  });

  it('matches the dataset, slide and store models the back end returns', () => {
    expectTypeOf<z.infer<typeof findingCodeSchema>>().toEqualTypeOf<FindingCode>();
    expectTypeOf<Finding>().toExtend<z.input<typeof findingSchema>>();
    expectTypeOf<DatasetSummary>().toExtend<z.input<typeof datasetSummarySchema>>();
    expectTypeOf<
      SlideInfo & { slideId: number; imageId: string; tileUrlTemplate: string; thumbnailUrl: string }
    >().toExtend<z.input<typeof slideInfoSchema>>();
    expectTypeOf<RunStatus>().toEqualTypeOf<z.infer<typeof runStatusSchema>>();
    expectTypeOf<Folder[]>().toExtend<HandlerReturn<'folders.recent'>>();
    expectTypeOf<SyncReport>().toExtend<HandlerReturn<'folders.open'>['sync']>();
    expectTypeOf<SlideListRow & { thumbnailUrl: string }>().toExtend<
      HandlerReturn<'slides.list'>['rows'][number]
    >();
    expectTypeOf<Prediction | null>().toExtend<HandlerReturn<'predictions.get'>>();
    expectTypeOf<ReviewEvent>().toExtend<HandlerReturn<'reviews.save'>>();
    expectTypeOf<Review | null>().toExtend<HandlerReturn<'reviews.get'>>();
    expectTypeOf<Omit<Run, 'config'> & { config: Record<string, unknown> }>().toExtend<
      HandlerReturn<'runs.list'>[number]
    >();
  });
});
