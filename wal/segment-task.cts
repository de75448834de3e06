// The file piscina loads on its worker threads. CommonJS on purpose: piscina require()s a task
// file before it tries import(), and require() of an ES module (segment-writer.js) sometimes
// crashes Node 20's module loader outright; a CommonJS file that imports it avoids that path.
import type { SegmentResult, SegmentTask } from './segment-writer.js';

let flush: ((task: SegmentTask) => SegmentResult) | undefined;

async function segmentTask(task: SegmentTask): Promise<SegmentResult> {
  flush ??= (await import('./segment-writer.js')).default;
  return flush(task);
}

export = segmentTask;
