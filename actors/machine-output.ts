// The checks on what a machine returns. `apply` and `system` run on every member, so their
// results are checked there, deterministically: a result of the wrong shape fails its command the
// same way everywhere, before the state it carries is taken. Effects from stateEnter, which runs
// on one member, are checked the same way and reported rather than run.
import type { ApplyResult, Effect } from './machine.js';
import { plainDataProblem } from './plain-data.js';

/** Effects one result may ask for: each becomes work on the leader's node. */
export const maxEffectsPerResult = 4096;
/** The longest machine timer: setTimeout fires at once past 2^31 - 1 ms, so longer is refused. */
export const maxTimerMilliseconds = 2 ** 31 - 1;

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

/** `result` as apply (or system) must return it, with its reply and effects checked; `index` is the entry's. */
export function checkApplyResult(
  result: unknown,
  index: number,
  from: string,
): Checked<ApplyResult<unknown, unknown>> {
  if (typeof result !== 'object' || result === null || !('state' in result))
    return { ok: false, problem: `${from} must return { state, reply?, effects? }, not ${describe(result)}` };
  const { reply, effects } = result as { reply?: unknown; effects?: unknown };
  const replyProblem = plainDataProblem(reply, `the reply of ${from}`);
  if (replyProblem !== null) return { ok: false, problem: replyProblem };
  const checked = checkEffects(effects, index, from);
  if (!checked.ok) return checked;
  return { ok: true, value: result as ApplyResult<unknown, unknown> };
}

/** Effects as a machine must return them; `index` bounds a release cursor (null: none allowed). */
export function checkEffects(
  effects: unknown,
  index: number | null,
  from: string,
): Checked<readonly Effect[]> {
  if (effects === undefined || effects === null) return { ok: true, value: [] };
  if (!Array.isArray(effects)) return { ok: false, problem: `the effects of ${from} are not a list` };
  if (effects.length > maxEffectsPerResult)
    return {
      ok: false,
      problem: `${from} returned ${effects.length} effects, more than ${maxEffectsPerResult}`,
    };
  for (let position = 0; position < effects.length; position += 1) {
    const problem = effectProblem(effects[position], index);
    if (problem !== null) return { ok: false, problem: `effect ${position} of ${from}: ${problem}` };
  }
  return { ok: true, value: effects as Effect[] };
}

function effectProblem(effect: unknown, index: number | null): string | null {
  if (typeof effect !== 'object' || effect === null) return `an effect is an object, not ${describe(effect)}`;
  const fields = effect as Record<string, unknown>;
  switch (fields.type) {
    case 'send':
      if (!isName(fields.node)) return 'a send needs the node to send to';
      if (!isName(fields.mailbox)) return 'a send needs the mailbox to send to';
      return plainDataProblem(fields.message, 'the message of a send');
    case 'monitor':
    case 'demonitor':
      return targetProblem(fields.target, fields.type);
    case 'timer':
      if (typeof fields.name !== 'string') return 'a timer needs a name';
      if (fields.milliseconds === null) return null;
      if (
        typeof fields.milliseconds !== 'number' ||
        !Number.isFinite(fields.milliseconds) ||
        fields.milliseconds < 0 ||
        fields.milliseconds > maxTimerMilliseconds
      )
        return `a timer's milliseconds are a number from 0 to ${maxTimerMilliseconds} or null, not ${describe(fields.milliseconds)}`;
      return null;
    case 'releaseCursor':
      if (index === null) return 'a release cursor is only for apply and system';
      if (
        !Number.isSafeInteger(fields.index) ||
        (fields.index as number) < 1 ||
        (fields.index as number) > index
      )
        return `a release cursor's index is an applied index (1 to ${index}), not ${describe(fields.index)}`;
      return plainDataProblem(fields.state, 'the state of a release cursor');
    default:
      return `no effect has the type ${describe(fields.type)}`;
  }
}

function targetProblem(target: unknown, type: string): string | null {
  if (typeof target !== 'object' || target === null) return `a ${type} needs a target { node, mailbox? }`;
  const { node, mailbox } = target as Record<string, unknown>;
  if (!isName(node)) return `a ${type} target needs a node`;
  if (mailbox !== undefined && !isName(mailbox)) return `a ${type} target's mailbox is a name`;
  return null;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'symbol' || typeof value === 'function') return `a ${typeof value}`;
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}
