// The pure Raft core: a member is a value advanced by step(); everything to do comes back as outputs.
export { InvariantError } from './assert.js';
export { emptyConfig } from './log.js';
export { bootstrapStoredMember, createMember, emptyStoredMember, Member, type MemberInit } from './member.js';
export { nextConfig } from './membership.js';
export { defaultOptions, type Options, resolveOptions } from './options.js';
export { step } from './step.js';
export type * from './types.js';
