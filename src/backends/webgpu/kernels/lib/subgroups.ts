// The entry-point parameters a kernel with subgroup reductions adds (after `enable subgroups;`).
export const SUBGROUP_BUILTINS = '\n  @builtin(subgroup_invocation_id) sgi: u32,\n  @builtin(subgroup_size) sgs: u32,';
