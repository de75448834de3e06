// The one error class callers see; defined beside the actors that produce the codes.
export { asFlotillaError, badArgument, type ErrorCode, FlotillaError } from '../actors/index.js';
