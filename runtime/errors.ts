// The one error class callers see; defined beside the actors that produce the codes.
export { badArgument, type ErrorCode, FlotillaError } from '../actors/index.js';
