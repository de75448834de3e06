// A module that loads but exports no machine: what a node whose machine code is broken finds
// where a group's module should be (createGroup must fail with BAD_ARGUMENT and leave no trace).
export default { name: 'not a machine' };
